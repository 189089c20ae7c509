package domain

// The domain's French words: the name every front end (the UI, the CLI, the mails,
// the PDF) gives a domain value, gathered here so that their wording is reviewed in
// one place, beside the UI's catalogue (ui/i18n). A delivery channel's entry states
// and the channel's own name are declared with the channel (channel_*.go), so that a
// new channel brings its words with it; EntryState.Label and Mode.Label ask it.

// commonStates are the entry states every channel shares, before the channel's own
// (their labels and what they mean for the student).
var commonStates = []StateInfo{
	{EntryDiscovered, "découvert", OutcomePending},
	{EntryExcluded, "exclu", OutcomeExcluded},
	{EntryEligible, "éligible", OutcomePending},
}

// Label names a campaign state: « en cours », « terminée »…
func (s CampaignState) Label() string {
	switch s {
	case CampaignCreating:
		return "en création"
	case CampaignRunning:
		return "en cours"
	case CampaignWaiting:
		return "en attente Digiposte"
	case CampaignFinished:
		return "terminée"
	case CampaignFailed:
		return "échouée"
	case CampaignSuspended:
		return "suspendue"
	}
	return string(s)
}

// Label names a verdict (R12): « Reçu », « Non reçu », « Pas de verdict ».
func (v Verdict) Label() string {
	switch v {
	case Admitted:
		return "Reçu"
	case NotAdmitted:
		return "Non reçu"
	default:
		return "Pas de verdict"
	}
}

// Label names a HubEE case's step in hypercerts' handling.
func (s HubEEStep) Label() string {
	switch s {
	case HubStepFetched:
		return "dossier lu"
	case HubStepFilesStored:
		return "pièces enregistrées"
	case HubStepAcknowledging:
		return "accusé de réception en cours"
	case HubStepReceived:
		return "reçu"
	case HubStepAnswerReady:
		return "réponse prête"
	case HubStepDepositing, HubStepDepositCreated, HubStepUploaded:
		return "dépôt en cours"
	case HubStepSent:
		return "dépôt envoyé"
	case HubStepAnswering:
		return "réponse en cours"
	case HubStepFinished:
		return "terminé"
	}
	return "nouveau"
}

// Label names what became of a HubEE case.
func (o HubEEOutcome) Label() string {
	switch o {
	case HubOutcomeDelivered:
		return "attestation déposée"
	case HubOutcomeRefused:
		return "refusée"
	case HubOutcomeIntegrationError:
		return "erreur d'intégration"
	case HubOutcomeToHandle:
		return "à traiter"
	}
	return "en cours"
}
