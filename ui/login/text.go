package login

// Every French string of the login screen, so that wording is reviewed in one place.
const (
	textSubtitle      = "Connectez-vous avec votre compte de l'université (CAS)."
	textUserLabel     = "Identifiant  "
	textPasswordLabel = "Mot de passe "
	textUserHolder    = "identifiant ENT"
	textChecking      = "Vérification auprès du CAS…"
	textNeedUser      = "Saisissez votre identifiant."
	textNeedPassword  = "Saisissez votre mot de passe."
	textTriesLeft     = "Tentatives restantes : %d."
	textTooMany       = "Trop d'échecs : %d tentatives de connexion ont échoué. hypercerts se ferme ; relancez-le pour réessayer."
	textCancelled     = "Connexion abandonnée."
	textWelcome       = "Connecté : %s."
	textHelp          = "Entrée : valider · Tab : champ suivant · Échap : quitter"
	textTimeout       = "le CAS n'a pas répondu à temps"
	textTimeoutHint   = "réessayez dans quelques minutes ; si le problème persiste, prévenez l'administrateur d'hypercerts."
	textForbiddenHint = "votre compte est reconnu mais n'a aucun droit dans hypercerts : demandez à l'administrateur Apogée le droit TRAREF10 (domaine RE) sur votre composante."
	textOtherHint     = "réessayez ; si l'erreur persiste, transmettez ce message à l'équipe technique."
	textNoLogin       = "connexion impossible : aucune fonction de connexion n'est configurée"
)
