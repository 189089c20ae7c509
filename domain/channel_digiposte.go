package domain

import "context"

// The Digiposte channel: nothing leaves at launch; the daemon's scheduled cycle
// (digiposte_cycle.go, R19–R22) requests the vaults, tells the students whose vault
// opened, and deposits their attestations.

// ModeDigiposte is the Digiposte channel's mode.
const ModeDigiposte Mode = "digiposte"

// The Digiposte channel's entry states.
const (
	EntryAdhesionRequested EntryState = "adhesion_requested"
	EntryVaultOpen         EntryState = "vault_open"
	EntryVaultNotified     EntryState = "vault_notified"
	EntryDeposited         EntryState = "deposited"
	EntryVaultRefused      EntryState = "vault_refused"
	EntryCancelled         EntryState = "cancelled" // résilié: final (R21)
)

type digiposteChannel struct{}

func (digiposteChannel) Mode() Mode    { return ModeDigiposte }
func (digiposteChannel) Label() string { return "Digiposte" }

// Needs: Digiposte invites the student to open a vault by e-mail, so a student
// without an address cannot be served ("sans adresse électronique").
func (digiposteChannel) Needs() Needs { return Needs{Renderer: true, Vault: true, Address: true} }

func (digiposteChannel) States() []StateInfo {
	return []StateInfo{
		{EntryAdhesionRequested, "adhésion demandée", OutcomePending},
		{EntryVaultOpen, "coffre ouvert", OutcomePending},
		{EntryVaultNotified, "étudiant prévenu", OutcomePending},
		{EntryDeposited, "déposé", OutcomeServed},
		{EntryVaultRefused, "coffre refusé", OutcomeFailed},
		{EntryCancelled, "résilié", OutcomeClosed},
	}
}

func (digiposteChannel) Path() []EntryState {
	return []EntryState{EntryEligible, EntryAdhesionRequested, EntryVaultOpen, EntryVaultNotified, EntryDeposited}
}

func (digiposteChannel) OutcomeLabel(o Outcome) string {
	return [...]string{OutcomeExcluded: "exclus", OutcomePending: "en cours", OutcomeServed: "déposés",
		OutcomeFailed: "refusés", OutcomeClosed: "résiliés"}[o]
}

func (digiposteChannel) Relaunch() (bool, string) {
	return false, "le cycle Digiposte du démon reprend de lui-même les étudiants en attente et les dépôts échoués"
}
func (digiposteChannel) Checks() []Check { return []Check{CheckDigiposte} }
func (digiposteChannel) runner() runner  { return nil } // the Digiposte cycle does the work

// ready: nothing to check at launch; the cycle reports an unreachable Digiposte.
func (digiposteChannel) ready(context.Context, *Engine) error { return nil }

// digiposteFinal: nothing more will happen to the entry in a Digiposte campaign.
func digiposteFinal(s EntryState) bool { return s.Outcome() != OutcomePending }
