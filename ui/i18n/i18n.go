// Package i18n holds every French string of the terminal UI (every screen, the
// login, the names of the keys), so the wording is reviewed in one place. Screens
// never write a user-facing literal of their own; a test (catalogue_test.go) finds
// any French text left in ui/ outside this package.
//
// The words that name domain values — campaign and entry states, delivery modes,
// verdicts, HubEE steps and outcomes — are not repeated here: they are the domain's
// Label() methods, gathered in domain/labels.go (a delivery channel declares its own
// states with their labels, in domain/channel_*.go), because the CLI, the mails and
// the PDF say them too, and domain imports only the standard library. The UI shows
// them as the domain gives them; this catalogue holds everything else.
package i18n

import (
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
	"time"

	"hypercerts/domain"
)

// Names of the keys in the help (what the manager presses; the keys themselves are in
// ui/keymap).
const (
	KeyNameEnter       = "entrée"
	KeyNameEsc         = "échap"
	KeyNameSpace       = "espace"
	KeyNameTop         = "g/début"
	KeyNameDetail      = "entrée/d"
	KeyNameYes         = "o/entrée"
	KeyNameNo          = "n/échap"
	KeyNameCloseHelp   = "?/échap"
	KeyNameCloseRecord = "échap/entrée/d"
)

// The login screen (CAS), over SSH.
const (
	LoginSubtitle      = "Connectez-vous avec votre compte de l'université (CAS)."
	LoginUserLabel     = "Identifiant  "
	LoginPasswordLabel = "Mot de passe "
	LoginUserHolder    = "identifiant ENT"
	LoginChecking      = "Vérification auprès du CAS…"
	LoginNeedUser      = "Saisissez votre identifiant."
	LoginNeedPassword  = "Saisissez votre mot de passe."
	LoginTriesLeft     = "Tentatives restantes : %d."
	LoginTooMany       = "Trop d'échecs : %d tentatives de connexion ont échoué. hypercerts se ferme ; relancez-le pour réessayer."
	LoginCancelled     = "Connexion abandonnée."
	LoginWelcome       = "Connecté : %s."
	LoginHelp          = "Entrée : valider · Tab : champ suivant · Échap : quitter"
	LoginTimeout       = "le CAS n'a pas répondu à temps"
	LoginTimeoutHint   = "réessayez dans quelques minutes ; si le problème persiste, prévenez l'administrateur d'hypercerts."
	LoginForbiddenHint = "votre compte est reconnu mais n'a aucun droit dans hypercerts : demandez à l'administrateur Apogée le droit TRAREF10 (domaine RE) sur votre composante."
	LoginOtherHint     = "réessayez ; si l'erreur persiste, transmettez ce message à l'équipe technique."
	LoginNoLogin       = "connexion impossible : aucune fonction de connexion n'est configurée"

	LoginPending   = "en cours"
	LoginSucceeded = "connecté"
	LoginFailed    = "trop d'échecs"
	LoginAbandoned = "abandon"
)

// Application and screens.
const (
	AppName        = "hypercerts"
	AppTagline     = "attestations de réussite"
	TestModeBanner = "MODE TEST : aucun courriel ne part vers un étudiant, tout va à %s"

	ScreenHome     = "Campagnes"
	ScreenWizard   = "Nouvelle campagne"
	ScreenPreview  = "Aperçu"
	ScreenLaunch   = "Lancement"
	ScreenCampaign = "Campagne"
	ScreenHubEE    = "Télédossiers HubEE"

	Loading           = "Chargement…"
	ErrorTitle        = "Erreur"
	WhatToDo          = "Que faire : "
	RetryHint         = "r pour réessayer, Échap pour revenir."
	StatusSaved       = "Aperçu exporté : %s dans %s"
	StatusMailed      = "Aperçu exporté (%s) : envoyé en pièce jointe à votre adresse %s"
	StatusMailFailed  = "Export CSV non envoyé : %s. Réessayez (e) ; si l'erreur persiste, prévenez l'équipe technique."
	StatusExportNoDir = "Export CSV impossible : aucun dossier d'export n'est configuré (ui.export_dir)."

	// StatusExportFailed: the advice first, so a narrow status line keeps it.
	StatusExportFailed = "Export CSV impossible : vérifiez que le dossier %s existe et que vous pouvez y écrire, puis réessayez (e). (%s)"

	QuitTitle          = "Quitter hypercerts ?"
	ClosingTitle       = "Le serveur hypercerts s'arrête"
	ClosingHint        = "Votre session va se fermer. Les campagnes en cours reprendront au redémarrage du démon ; reconnectez-vous ensuite (ssh)."
	ClosingReason      = "Le démon hypercerts a reçu l'ordre de s'arrêter (maintenance, mise à jour ou redémarrage du serveur)."
	QuitConfirm        = "Une campagne est en cours : les envois en cours se terminent, la suite reprendra au prochain démarrage de hypercerts."
	QuitConfirmLoading = "Un chargement est en cours et sera abandonné."
	QuitKeys           = "o ou Entrée pour quitter, toute autre touche pour rester."
)

// Help bar labels.
const (
	KeyUp          = "monter"
	KeyDown        = "descendre"
	KeyPageUp      = "page préc."
	KeyPageDown    = "page suiv."
	KeyTop         = "début"
	KeyBottom      = "fin"
	KeyOpen        = "ouvrir"
	KeyChoose      = "choisir"
	KeyBack        = "retour"
	KeyQuit        = "quitter"
	KeyHelp        = "aide"
	KeyCloseHelp   = "fermer l'aide"
	KeyClose       = "fermer"
	KeyScroll      = "défiler"
	KeyNew         = "nouvelle campagne"
	KeyRefresh     = "actualiser"
	KeyToggle      = "cocher"
	KeyToggleAll   = "tout cocher"
	KeyFilter      = "filtre"
	KeySearch      = "rechercher"
	KeyDetail      = "détail"
	KeyExport      = "export CSV"
	KeyLaunch      = "lancer"
	KeyRelaunch    = "relancer"
	KeyRevoke      = "révoquer l'attestation"
	KeyPrint       = "imprimer ces étudiants"
	KeyTab         = "étudiants/journal"
	KeyConfirm     = "confirmer"
	KeyCancel      = "annuler"
	KeyClear       = "effacer"
	KeyHubEE       = "HubEE"
	KeyMode        = "courriel/Digiposte"
	KeySortCode    = "trier par code"
	KeySortName    = "trier par nom"
	KeyTestMode    = "mode test"
	KeyReread      = "relire Apogée"
	KeyValidate    = "valider"
	KeyRetry       = "réessayer"
	KeyClearFilter = "effacer le filtre"
	KeyPreview     = "voir l'aperçu"
	KeyLaunchAgain = "relancer le lancement"
	KeyClearSearch = "effacer la recherche"
)

// Full help.
const (
	HelpNavigation = "Navigation"
	HelpActions    = "Actions"
	HelpFilters    = "Filtres"
	HelpGeneral    = "Général"
	HelpLegend     = "Légende"
	HelpMore       = "%s lignes %d–%d sur %d : ↑/↓ pour défiler"

	LegendCursor      = "›  ligne sélectionnée"
	LegendEligible    = "✓  éligible : une attestation sera produite ; une ligne sans ✓ (grisée en couleur) ne recevra rien"
	LegendTestMode    = "courriel*  campagne lancée en mode test (tous les courriels à l'adresse de test)"
	LegendTab         = "[Onglet]  onglet affiché (tab pour changer)"
	LegendFailed      = "échec d'envoi, coffre refusé : en rouge en couleur ; R relance les envois en échec"
	LegendHubToHandle = "à traiter : une personne doit instruire ce dossier (en jaune en couleur)"
	LegendChecked     = "[x]  étape cochée, [ ] non cochée"
	LegendMode        = "[courriel]  mode de diffusion choisi"
	LegendApogeeError = "erreur Apogée : l'étudiant n'a pas pu être lu (en rouge en couleur) ; r relit Apogée"
)

// shortLabels are the help bar's labels when the full ones do not fit.
var shortLabels = map[string]string{
	KeyNew:       "nouvelle",
	KeyRefresh:   "actu.",
	KeyExport:    "export",
	KeyTab:       "onglet",
	KeySearch:    "chercher",
	KeyDetail:    "détail",
	KeyToggleAll: "tout",
	KeyConfirm:   "ok",
	KeyCancel:    "annuler",
	KeyPageDown:  "page",
	KeyMode:      "mode",
	KeyCloseHelp: "fermer",
	KeySortCode:  "tri",
	KeyRevoke:    "révoquer",
	KeyPrint:     "imprimer",
	KeySortName:  "tri",
	KeyTestMode:  "test",
	KeyReread:    "relire",
}

// ShortLabel is the short form of a help label (itself when it has none).
func ShortLabel(desc string) string {
	if s, ok := shortLabels[desc]; ok {
		return s
	}
	return desc
}

// Home.
const (
	HomeEmpty    = "Aucune campagne pour vos composantes. Appuyez sur n pour en créer une."
	HomeColYear  = "Année"
	HomeColComp  = "Comp."
	HomeColVDI   = "VDI"
	HomeColMode  = "Mode"
	HomeColState = "État"
	HomeColStud  = "Étud."
	HomeColSent  = "Envoyés"
	HomeColFail  = "Échecs"
	HomeColProg  = "Avancée"
	HomeColDate  = "Créée le"
	HomeColEnd   = "Terminée le"
)

// Wizard.
const (
	WizYear      = "Année"
	WizComponent = "Composante"
	WizVDI       = "Diplôme (VDI)"
	WizVETs      = "Étapes (VET)"

	WizChooseYear      = "Choisissez l'année universitaire :"
	WizChooseComponent = "Choisissez la composante :"
	WizYearWhy         = "%s présélectionnée : dernière année avec des résultats délibérés (Apogée contient ses résultats d'admission)."
	WizYearNewer       = "En %s, les résultats ne sont pas encore délibérés : l'aperçu n'aurait presque rien à envoyer."
	WizYearNone        = "%s présélectionnée : aucune année ouverte n'a encore de résultats délibérés dans Apogée ; l'aperçu n'aurait presque rien à envoyer."
	WizChooseVDI       = "Choisissez la version de diplôme (tapez pour filtrer par code ou libellé) :"
	WizChooseVETs      = "Étapes diplômantes à inclure (toutes cochées par défaut) :"
	WizFilter          = "Filtre : "
	WizFilterHolder    = "code ou libellé"
	WizNoMatch         = "Aucune VDI ne correspond à « %s »."
	WizNoVDI           = "Aucune VDI n'est proposée pour cette composante cette année."
	WizNoVET           = "Cette VDI n'a aucune étape diplômante cette année : choisissez-en une autre (Échap)."
	WizNoYear          = "Aucune année n'est ouverte dans Apogée."
	WizNeedOneVET      = "Cochez au moins une étape."
	WizSelected        = "Étapes cochées : %s sur %s — Entrée pour voir l'aperçu"
	WizNoRights        = "Vous ne pouvez créer aucune campagne."
	WizNoRightsWhy     = "Votre profil Apogée (%s) n'a la fonction TRAREF10 « attestations de réussite » du domaine RE (collecte et diffusion des résultats) sur aucune composante."
	WizNoRightsWhat    = "Demandez à l'administrateur Apogée de votre établissement d'ajouter ce droit à votre type d'utilisateur pour les composantes que vous gérez, puis relancez hypercerts."
)

// Preview.
const (
	PrevLoading      = "Lecture Apogée : %s / %s"
	PrevStarting     = "Vérification de la demande et liste des étudiants…"
	PrevColName      = "Nom"
	PrevColFirst     = "Prénoms"
	PrevColCode      = "Code"
	PrevColVerdict   = "Verdict"
	PrevColMention   = "Mention"
	PrevColECTS      = "ECTS"
	PrevColBlock     = "Blocage"
	PrevColAddr      = "Adresse"
	PrevColTestTo    = "Envoi (test)"
	PrevColReal      = "Destinataire réel"
	PrevFilter       = "Filtre : %s"
	PrevSearch       = "Recherche : "
	PrevApogeeError  = "erreur Apogée"
	PrevSearchHolder = "nom, prénom ou code"
	PrevNoRow        = "Aucun étudiant ne correspond."
	PrevToProduce    = "%s à produire"
	PrevNoVerdict    = "%s sans verdict"
	PrevNoEligible   = "Aucun étudiant éligible : rien à lancer."
	PrevStopped      = "Aperçu interrompu (r pour le relancer) : %s"
	PrevIncomplete   = "Aperçu incomplet : relancez-le (r) avant de lancer la campagne."
	PrevNarrowHint   = "adresses : d (détail)"

	DetIdentity = "%s — code %s, INE %s, né(e) le %s"
	DetEmail    = "Courriel : %s"
	DetVETs     = "Étapes : %s"
	DetSession  = "Résultat décisif : session %s, résultat %s"
	DetNoResult = "Aucun résultat d'admission"
	DetDelivery = "Délivrance autorisée : %s"
	DetBlocking = "Blocage : %s"
	DetEligible = "Éligible : une attestation sera produite."
	DetReason   = "Motif : %s"
	DetError    = "Erreur Apogée : %s"

	// The full record (Entrée or d on a row).
	DetTestMode      = "mode test"
	DetNone          = "aucun"
	DetSessionResult = "session %d, résultat %s"
	DetFName         = "Étudiant"
	DetFCode         = "Code étudiant"
	DetFINE          = "INE"
	DetFBirth        = "Né(e) le"
	DetFEmail        = "Courriel"
	DetFVETs         = "Étapes"
	DetFVerdict      = "Verdict"
	DetFResult       = "Résultat décisif"
	DetFMention      = "Mention"
	DetFECTS         = "ECTS"
	DetFDelivery     = "Délivrance autorisée"
	DetFBlockings    = "Blocages"
	DetFBlocking     = "Blocage"
	DetFApogeeErr    = "Erreur Apogée"
	DetFEligible     = "Éligible"
	DetFReason       = "Motif"
	DetFState        = "État"
	DetFReference    = "Référence de l'attestation"
	DetFAttempts     = "Essais"
	DetFLastError    = "Dernière erreur"
	DetFUpdated      = "Mis à jour le"
	DetFAt           = "Date"
	DetFUser         = "Par"
	DetFAction       = "Action"
	DetFDetail       = "Détail"
	DetTitleStudent  = "Étudiant %s"
	DetTitleAudit    = "Journal : %s du %s"
	DetTitleCase     = "Télédossier %s"
)

// Filter names of the preview.
const (
	FilterAll         = "tous"
	FilterAdmitted    = "reçus"
	FilterNotAdmitted = "non reçus"
	FilterNoVerdict   = "sans verdict"
	FilterBlocked     = "bloqués"
	FilterEligible    = "éligibles"
	FilterExcluded    = "non éligibles"
)

// Launch.
const (
	LaunchConfirmTitle  = "Lancer la campagne ?"
	LaunchWhat          = "%s (%s), %s, composante %s"
	LaunchVETs          = "Étapes : %s"
	LaunchMailCount     = "%s attestations seront générées puis envoyées par courriel, une par étudiant éligible (d'après l'aperçu)."
	LaunchMailCountOne  = "%s attestation sera générée puis envoyée par courriel, à l'étudiant éligible (d'après l'aperçu)."
	LaunchPrintCount    = "%s attestations seront générées dans un seul lot à imprimer : un PDF A4 (page de garde, une attestation par page, par ordre alphabétique) et son CSV, écrits dans le dossier des lots d'impression. Les étudiants sont comptés servis dès le lot écrit."
	LaunchPrintCountOne = "%s attestation sera générée dans un lot à imprimer : un PDF A4 (page de garde, puis l'attestation) et son CSV, écrits dans le dossier des lots d'impression."
	LaunchDigiCount     = "Rien ne part maintenant : au prochain cycle Digiposte du démon, %s demandes d'adhésion (ouverture de coffre) seront déposées, une par étudiant éligible dont le coffre n'est pas déjà ouvert."
	LaunchDigiCountOne  = "Rien ne part maintenant : au prochain cycle Digiposte du démon, %s demande d'adhésion (ouverture de coffre) sera déposée, pour l'étudiant éligible si son coffre n'est pas déjà ouvert."
	LaunchDigiNext      = "Ensuite, cycle après cycle : chaque étudiant dont le coffre s'ouvre est prévenu par courriel, puis son attestation est déposée dans son coffre ; un coffre refusé ou résilié ne reçoit rien."
	LaunchDigiTestTo    = "MODE TEST : les courriels « coffre ouvert » iront tous à %s. Les vrais destinataires sont journalisés."
	LaunchMode          = "Mode de diffusion : %s   (m pour changer)"
	LaunchModeOnly      = "Mode de diffusion : %s"
	LaunchSource        = "Étudiants : %s"
	LaunchTestChoice    = "Mode test : %s   (t pour changer ; en mode test, tout va à %s)"
	LaunchDigiWaiting   = "Les demandes d'adhésion partiront au prochain cycle Digiposte du démon : suivez les états depuis l'écran de la campagne (Entrée)."
	LaunchExcluded      = "%s étudiants sont exclus (non reçus, sans verdict, bloqués ou sans adresse) : ils ne recevront pas d'attestation."
	LaunchExcludedOne   = "%s étudiant est exclu (non reçu, sans verdict, bloqué ou sans adresse) : il ne recevra pas d'attestation."
	LaunchExcludedNone  = "Aucun étudiant n'est exclu."
	LaunchNoEmail       = "Dont %s sans adresse électronique dans Apogée (ni courriel ni invitation Digiposte possible)."
	LaunchServed        = "Déjà servis : %s (attestation reçue dans une campagne précédente, dernier envoi le %s) — %s."
	LaunchServedOut     = "exclus de cette campagne"
	LaunchServedIn      = "inclus : l'attestation repartira"
	LaunchServedInclude = "espace : les inclure (par exemple après une correction dans Apogée) ; le choix est noté au journal de la campagne."
	LaunchServedExclude = "espace : les exclure de nouveau ; le choix est noté au journal de la campagne."
	LaunchTestTo        = "MODE TEST : chaque courriel (%s en tout) ira à %s ; aucun ne partira vers un étudiant. Les vrais destinataires sont journalisés."
	LaunchRealTo        = "Les courriels partiront vers les adresses des étudiants lues dans Apogée."
	LaunchManagers      = "Les gestionnaires sont prévenus de la création ; vous recevrez le bilan à la fin."
	LaunchAsk           = "Entrée ou o pour lancer, Échap ou n pour revenir à l'aperçu."
	LaunchPreparing     = "Préparation : signature, libellé officiel et relecture Apogée de chaque étudiant…"
	LaunchRunning       = "Campagne %s en cours"
	LaunchFinished      = "Campagne %s terminée"
	LaunchFinishedFail  = "Campagne %s terminée avec %s"
	LaunchAllFailed     = "Campagne %s terminée : aucun envoi n'a réussi (%s)"
	LaunchLeaveDone     = "Échap : revenir à la liste des campagnes · Entrée : ouvrir la campagne"
	LaunchWaiting       = "Campagne %s enregistrée : elle avance au rythme des cycles Digiposte (démon)."
	LaunchInterrupted   = "Campagne %s interrompue : elle reprendra au prochain démarrage."
	LaunchSuspended     = "Campagne %s suspendue : le serveur de courriel ne répond plus ; elle reprendra au prochain démarrage ou avec « hypercerts campaign resume »."
	LaunchProcessed     = "Traités : %s sur %s"
	LaunchThroughput    = "Débit : %s attestations/s"
	LaunchETA           = "Temps restant : %s"
	LaunchETAUnknown    = "Temps restant : estimation en cours"
	LaunchCurrent       = "En cours : %s"
	LaunchLastErrors    = "Dernières erreurs :"
	LaunchLeave         = "Échap : quitter cet écran (la campagne continue) · Entrée : ouvrir la campagne"
	LaunchMailDir       = "Courriels écrits dans : %s"
)

// Campaign.
const (
	CampTabEntries     = "Étudiants"
	CampTabAudit       = "Journal"
	CampHeader         = "%s — %s (%s), composante %s, par %s"
	CampState          = "État : %s · créée le %s par %s"
	CampFinished       = " · terminée le %s"
	CampColState       = "État"
	CampColAttempts    = "Essais"
	CampColReason      = "Motif / erreur"
	CampColAt          = "Date"
	CampColUser        = "Par"
	CampColAction      = "Action"
	CampColDetail      = "Détail"
	CampRelaunchTitle  = "Relancer la campagne ?"
	CampPrintTitle     = "Imprimer ces étudiants ?"
	CampPrintAsk       = "Imprimer %s non servis (en échec, en attente ou exclus faute d'adresse électronique) ? Une campagne « impression » est créée pour eux : un PDF à imprimer et son CSV, écrits dans le dossier des lots d'impression."
	CampPrintKeys      = "Entrée ou o pour imprimer, Échap ou n pour annuler."
	CampPrintNone      = "Aucun étudiant à imprimer : tous les éligibles sont servis."
	CampPrinted        = "Lot d'impression lancé : campagne %s."
	CampRelaunchAsk    = "Les %s étudiants dont l'attestation n'est pas partie seront repris. Les étudiants déjà servis et les exclus ne sont pas repris."
	CampRelaunchAskOne = "L'étudiant dont l'attestation n'est pas partie sera repris. Les étudiants déjà servis et les exclus ne sont pas repris."
	CampRelaunchKeys   = "Entrée ou o pour relancer, Échap ou n pour annuler."
	CampRelaunched     = "Relance demandée : %s."
	CampRevokeTitle    = "Révoquer l'attestation ?"
	CampRevokeAsk      = "L'attestation %s de %s ne sera plus reconnue authentique (définitif). Motif, affiché aux vérificateurs :"
	CampTestTo         = " (test → %s)"
	CampRevokeHint     = "Entrée pour révoquer, Échap pour annuler."
	CampRevokeHolder   = "par exemple : erreur de jury, diplôme annulé"
	CampRevokeNone     = "Aucune attestation délivrée à révoquer pour cet étudiant."
	CampRevoked        = "Attestation %s révoquée : la page de vérification le dit désormais."
	CampRelaunchNone   = "Rien à relancer : toutes les attestations des étudiants éligibles ont été envoyées."
	CampRunning        = "Campagne en cours : %s sur %s traités"
	CampFilter         = "Filtre : %s"
	CampNoEntry        = "Aucun étudiant dans cet état."
	CampNoAudit        = "Journal vide."
	CampFailed         = "Échec : %s"
	CampSuspended      = "Suspendue : %s"

	CampFilterAll = "tous"

	CampDigiToRequest = "à demander"
	CampDigiCycle     = "Circuit Digiposte, mené par le cycle planifié du démon : demande d'adhésion → coffre ouvert (ou refusé) → courriel à l'étudiant → dépôt de l'attestation. Un coffre résilié ne reçoit plus rien."
	CampNoRelaunch    = "Pas de relance pour une campagne %s : %s."
)

// HubEE.
const (
	HubColReceived  = "Reçu le"
	HubColProcess   = "Démarche"
	HubColFolder    = "N° dossier"
	HubColApplicant = "Demandeur"
	HubColStudent   = "Étudiant"
	HubColStatus    = "Statut HubEE"
	HubColStep      = "Étape"
	HubColOutcome   = "Issue"
	HubColReason    = "Motif"

	HubEmptyTitle = "Aucun télédossier HubEE reçu pour l'instant."
	HubEmptyWhat  = "HubEE (Hub d'Échange de l'État) achemine les télédossiers que les usagers déposent en ligne, par exemple une demande d'attestation de réussite, jusqu'au service qui les instruit. hypercerts y est inscrit comme service instructeur."
	HubEmptySync  = "Le démon hypercerts relève HubEE à intervalles réguliers (tâche hubee_sync) : il accuse réception de chaque dossier, répond aux demandes d'attestation par l'attestation elle-même ou par un refus motivé, et liste ici les autres démarches pour qu'une personne les traite."
	HubEmptyHint  = "Appuyez sur r pour actualiser."

	HubNotConfigured     = "HubEE n'est pas configuré sur ce serveur."
	HubNotConfiguredWhat = "Faites compléter la section hubee de application.yaml (environnement, démarches et leurs identifiants) ; le démon relèvera alors les télédossiers et ils s'afficheront ici."

	HubDetFolder    = "Dossier %s · démarche %s (%s)"
	HubDetApplicant = "Demandeur : %s · identifiant HubEE : %s"
	HubDetStudent   = "Étudiant : %s · année %s · VDI %s"
	HubDetStatus    = "Statut HubEE : %s · étape : %s · issue : %s"
	HubDetPending   = "Statut en cours d'envoi : %s"
	HubDetReason    = "Motif : %s"
	HubDetAnswer    = "Réponse envoyée : %s"
	HubDetFiles     = "Pièces reçues : %s"
	HubDetDeposit   = "Attestation déposée : %s (%s octets)"
	HubDetError     = "Dernière erreur : %s (%s) — reprise au prochain relevé"
	HubDetDates     = "Reçu le %s · mis à jour le %s"
	// Cases the sync handed to a person (a permanent failure, or transient ones too many
	// runs in a row), and the retry action.
	HubNeedsPerson    = "à reprendre"
	HubNeedsPersonN   = "%s à reprendre par un gestionnaire (R pour reprendre le dossier choisi)"
	HubDetNeedsPerson = "À reprendre par un gestionnaire : %s (%s) — R pour reprendre le dossier"
	HubFNeedsPerson   = "À reprendre"
	HubFNeedsPersonV  = "%s (%s) — R pour reprendre le dossier, une fois la cause traitée"
	KeyHubRetry       = "reprendre"
	HubRetrying       = "Reprise du dossier %s…"
	HubRetried        = "Dossier %s repris : %s, %s."
	HubRetryFailed    = "Le dossier %s échoue encore : %s"
	HubNothingToRetry = "Le dossier %s n'a rien à reprendre (%s)."
	HubDetNone        = "—"

	HubFEmail    = "Courriel du demandeur"
	HubFCaseID   = "Identifiant HubEE"
	HubFYear     = "Année"
	HubFVDI      = "VDI"
	HubFPending  = "Statut en cours d'envoi"
	HubFAnswer   = "Réponse envoyée"
	HubFDeposit  = "Attestation déposée"
	HubFDepositV = "%s (%s octets)"
	HubFFile     = "Pièce reçue"
	HubFError    = "Dernière erreur"
	HubFErrorV   = "%s (%s) — reprise au prochain relevé"
	HubFUpdated  = "Mis à jour le"

	HubRoleAttestation = "demande d'attestation"
	HubRoleOther       = "à traiter par une personne"
)

// HubStatus is a HubEE status in the managers' words.
func HubStatus(s domain.HubStatus) string {
	switch s {
	case domain.HubNotified:
		return "notifié"
	case domain.HubSent:
		return "transmis"
	case domain.HubSIReceived:
		return "reçu"
	case domain.HubSIIntgError:
		return "erreur d'intégration"
	case domain.HubInProgress:
		return "en instruction"
	case domain.HubAddAwaiting:
		return "complément attendu"
	case domain.HubRefused:
		return "refusé"
	case domain.HubDone:
		return "traité"
	case domain.HubClosed:
		return "clos"
	case "":
		return "—"
	}
	return string(s)
}

// Int formats an integer the French way, thousands apart by a narrow no-break space
// (U+202F, the "espace fine insécable"): 12 345. Every number the UI shows goes
// through it.
func Int(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteString(ThinSpace)
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// ThinSpace is the thousands separator.
const ThinSpace = "\u202f"

// Noun is a French word and its plural.
type Noun struct{ One, Many string }

// Nouns counted on screen.
var (
	NounStudent     = Noun{"étudiant", "étudiants"}
	NounCampaign    = Noun{"campagne", "campagnes"}
	NounAttempt     = Noun{"essai", "essais"}
	NounAttestation = Noun{"attestation", "attestations"}
	NounShown       = Noun{"affiché", "affichés"}
	NounBlocked     = Noun{"bloqué", "bloqués"}
	NounError       = Noun{"erreur", "erreurs"}
	NounFailure     = Noun{"échec", "échecs"}
	NounLine        = Noun{"ligne", "lignes"}
	NounCase        = Noun{"télédossier reçu", "télédossiers reçus"}
	NounFolder      = Noun{"dossier", "dossiers"}
	NounReceived    = Noun{"reçu", "reçus"}
	NounNotReceived = Noun{"non reçu", "non reçus"}
	NounRead        = Noun{"étudiant lu", "étudiants lus"}
	NounProcessed   = Noun{"traité", "traités"}
	NounStep        = Noun{"étape cochée", "étapes cochées"}
	NounExclStudent = Noun{"étudiant est exclu", "étudiants sont exclus"}
	NounRun         = Noun{"exécution", "exécutions"}
	NounMail        = Noun{"courriel", "courriels"}
)

// Word is the form of w for n: French puts 0 and 1 in the singular.
func Word(n int, w Noun) string {
	if n >= -1 && n <= 1 {
		return w.One
	}
	return w.Many
}

// Count picks the singular or plural sentence for n and puts n (formatted) in it:
// each format has one %s for the number.
func Count(n int, one, many string) string {
	if n >= -1 && n <= 1 {
		return fmt.Sprintf(one, Int(n))
	}
	return fmt.Sprintf(many, Int(n))
}

// Plural is n formatted (Int) and its word: "1 étudiant", "0 erreur", "1 182 étudiants".
func Plural(n int, w Noun) string { return Int(n) + " " + Word(n, w) }

// Decimal formats a float with a decimal comma: 12,3.
func Decimal(f float64) string {
	return strings.Replace(strconv.FormatFloat(f, 'f', 1, 64), ".", ",", 1)
}

// DateAt formats a day and time in a sentence: « 03/07/2025 à 14:05 ».
func DateAt(t time.Time) string { return t.Format("02/01/2006 à 15:04") }

// Percent formats a ratio 0..1 as "42 %".
func Percent(f float64) string { return fmt.Sprintf("%d %%", int(f*100+0.5)) }

// Date formats a day and time: 03/07/2025 14:05; empty for a zero time.
func Date(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.Format("02/01/2006 15:04")
}

// Day formats a day: 03/07/2025.
func Day(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.Format("02/01/2006")
}

// Duration formats a duration roughly: "2 min 05 s", "1 h 03 min", "8 s".
func Duration(d time.Duration) string {
	d = d.Round(time.Second)
	h, m, s := int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60
	switch {
	case h > 0:
		return fmt.Sprintf("%d h %02d min", h, m)
	case m > 0:
		return fmt.Sprintf("%d min %02d s", m, s)
	}
	return fmt.Sprintf("%d s", s)
}

// YesNo is "oui" or "non".
func YesNo(b bool) string {
	if b {
		return "oui"
	}
	return "non"
}

// Error is an error message with what to do about it, in the managers' words.
type Error struct {
	What string // what failed, as the engine said it
	Hint string // what to do
}

// Explain turns an engine error into a message and advice.
func Explain(err error) Error {
	e := Error{What: French(err.Error())}
	var pe *fs.PathError
	switch {
	case errors.Is(err, domain.ErrForbidden) && strings.Contains(err.Error(), "aucune composante"):
		e.Hint = "Demandez à l'administrateur Apogée le droit TRAREF10 (domaine RE) sur les composantes que vous gérez."
	case errors.Is(err, domain.ErrForbidden):
		e.Hint = "Demandez à l'administrateur Apogée le droit TRAREF10 (domaine RE) sur cette composante."
	case errors.Is(err, domain.ErrTransient):
		e.Hint = "Apogée ou le serveur ne répond pas pour l'instant : réessayez dans quelques minutes (r)."
	case errors.Is(err, domain.ErrInvalid):
		e.Hint = "Revenez en arrière (Échap) et corrigez le choix."
	case errors.Is(err, domain.ErrNoSignature):
		e.Hint = "Faites vérifier la configuration du signataire (apogee.signer) ; rien n'a été envoyé."
	case errors.Is(err, domain.ErrRelayUnavailable):
		e.Hint = "Le serveur de courriel ne répond pas ou refuse la connexion : faites vérifier la section mail.smtp (le message dit quoi) ; rien n'a été enregistré ni envoyé."
	case errors.Is(err, domain.ErrShutdown):
		e.Hint = "hypercerts s'arrête : relancez-le pour continuer."
	case errors.Is(err, domain.ErrNotFound):
		e.Hint = "L'élément n'existe plus : revenez à la liste (Échap) et actualisez (r)."
	case errors.As(err, &pe):
		e.Hint = "Le serveur n'a pas pu lire ou écrire " + pe.Path + " : transmettez ce message à l'équipe technique (droits, place sur le disque, dossier manquant)."
	case strings.Contains(err.Error(), "aucune base"):
		e.Hint = "La base de hypercerts (store.path) n'est pas configurée : faites compléter application.yaml, ou essayez hypercerts --demo."
	case strings.Contains(err.Error(), "déjà utilisée"):
		e.Hint = "Le démon hypercerts tient la base : connectez-vous à lui par ssh (l'adresse est dans « hypercerts daemon status »)."
	default:
		e.Hint = "Réessayez (r) ; si l'erreur persiste, transmettez ce message à l'équipe technique."
	}
	return e
}

// osWords are the system's English error texts and operations, in French: a message
// shown to a manager never keeps "mkdir out/mails: not a directory".
var osWords = strings.NewReplacer(
	": not a directory", " : un fichier porte ce nom là où un dossier est attendu",
	": no such file or directory", " : fichier ou dossier introuvable",
	": permission denied", " : permission refusée",
	": no space left on device", " : plus de place sur le disque",
	": read-only file system", " : système de fichiers en lecture seule",
	": file exists", " : existe déjà",
	": is a directory", " : c'est un dossier",
	": too many open files", " : trop de fichiers ouverts",
	": connection refused", " : connexion refusée",
	": connection reset by peer", " : connexion coupée par le serveur",
	": i/o timeout", " : délai dépassé",
	": broken pipe", " : connexion interrompue",
	": input/output error", " : erreur d'entrée-sortie du disque",
	"context deadline exceeded", "délai dépassé",
	"context canceled", "opération annulée",
	"mkdir ", "création du dossier ",
	"open ", "ouverture de ",
	"write ", "écriture de ",
	"rename ", "renommage de ",
	"remove ", "suppression de ",
	"dial tcp ", "connexion à ",
)

// French translates the system's words left in an error text (paths and the
// engine's French are kept as they are).
func French(msg string) string { return osWords.Replace(msg) }

// AuditAction is a journal action in the managers' words (the store keeps short codes).
func AuditAction(a string) string {
	switch a {
	case domain.AuditLaunch:
		return "lancement"
	case domain.AuditRelaunch:
		return "relance"
	case domain.AuditResume:
		return "reprise"
	case domain.AuditFinish:
		return "fin"
	case domain.AuditFail:
		return "échec"
	case domain.AuditInterrupt:
		return "interruption"
	case domain.AuditMail:
		return "courriel"
	case domain.AuditPurge:
		return "purge"
	case domain.AuditDigiposte:
		return "Digiposte"
	case domain.AuditRevoke:
		return "révocation"
	}
	return a
}

// CampaignState is a campaign's state as the manager must read it: a finished
// campaign with failures says how many ("terminée avec 3 échecs"), one where nothing
// went out says so.
func CampaignState(c domain.Campaign) string {
	failed := domain.CountOutcomes(c.Counts)[domain.OutcomeFailed]
	if c.State != domain.CampaignFinished || failed == 0 {
		return c.State.Label()
	}
	return c.State.Label() + " avec " + Plural(failed, NounFailure)
}
