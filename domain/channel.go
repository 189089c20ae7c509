package domain

import (
	"context"
	"fmt"
	"strings"
	"sync"
)

// A delivery channel is one way attestations reach students: by e-mail
// (channel_mail.go), into their Digiposte vault (channel_digiposte.go), or printed by
// the scolarité in one batch (channel_print.go). Everything a mode means lives in its
// channel: what it needs from the engine, its entry states and their French labels,
// the path of a student through them, whether a manager may relaunch it, the checks
// `doctor` must run for it, and the work itself. The engine runs a campaign through
// its channel and never branches on a mode; the UI and the CLI ask the channel what a
// state means. docs/channels.md says how to add one.

// Channel is one delivery channel.
type Channel interface {
	// Mode is the channel's name in the configuration, the store and the CLI.
	Mode() Mode
	// Label is its French name, as in "diffusion par courriel".
	Label() string
	// Needs says which of the engine's ports the channel uses.
	Needs() Needs
	// States are the entry states proper to the channel, in the order of its steps,
	// with their French labels and outcomes.
	States() []StateInfo
	// Path is the way of an eligible student through the channel's states, from
	// eligible to served, for the progress views.
	Path() []EntryState
	// OutcomeLabel names a group of students in the channel's words ("envoyés",
	// "déposés", "imprimés"), for filters and summaries.
	OutcomeLabel(o Outcome) string
	// Relaunch says whether a manager may relaunch a campaign of this channel (R07),
	// and if not, why (in French).
	Relaunch() (ok bool, why string)
	// Checks are the doctor checks the channel depends on.
	Checks() []Check

	// run works through the entries of a campaign run (launch, relaunch, resume);
	// nil for a channel worked through by a scheduled job (Digiposte).
	runner() runner
	// ready checks, before a launch, relaunch or resume records or sends anything,
	// that the outside system the channel delivers through answers (mail: the relay).
	ready(ctx context.Context, e *Engine) error
}

// runner is the engine-side work of a channel that serves students at launch.
type runner interface {
	// run serves r's entries (r.todo), storing each state before the next outside
	// action, then returns; an error means the store cannot be written.
	run(e *Engine, rs *campaignRuns, r *campaignRun) (interrupted bool, fatal error)
}

// Needs lists the ports a channel uses and what it requires of a student.
type Needs struct {
	Renderer bool // the PDF renderer
	Mailer   bool // the mailer (attestations sent by mail)
	Vault    bool // Digiposte
	Printer  bool // the print batch writer
	// Address: a student without an e-mail address cannot be served (excluded at launch).
	Address bool
}

// Check names a doctor check a channel depends on (doctor maps each to its probe).
type Check string

const (
	CheckMail      Check = "mail"      // the SMTP relay (or the .eml folder)
	CheckDigiposte Check = "digiposte" // the SFTP server (or the local folder)
	CheckPrint     Check = "print"     // the print batches' output folder
)

// Outcome is what an entry state means for the student, whatever the channel.
type Outcome int

const (
	// OutcomeExcluded: not eligible, nothing will be delivered (the reasons are kept).
	OutcomeExcluded Outcome = iota
	// OutcomePending: eligible and on the way (to do, or in flight).
	OutcomePending
	// OutcomeServed: delivered; never delivered again by a relaunch (R07).
	OutcomeServed
	// OutcomeFailed: the delivery failed (a relaunch or the next cycle may serve it).
	OutcomeFailed
	// OutcomeClosed: final without delivery, and not a failure (the student
	// cancelled their vault).
	OutcomeClosed
)

// StateInfo describes an entry state.
type StateInfo struct {
	State   EntryState
	Label   string // French, as shown to managers
	Outcome Outcome
}

// channels are every delivery channel, in the order they are offered.
var channels = []Channel{mailChannel{}, digiposteChannel{}, printChannel{}}

// Channels lists every delivery channel, whatever the engine is wired with.
func Channels() []Channel { return channels }

// ChannelOf gives the channel of a mode; ok is false for an unknown mode.
func ChannelOf(m Mode) (ch Channel, ok bool) {
	for _, ch := range channels {
		if ch.Mode() == m {
			return ch, true
		}
	}
	return nil, false
}

// ModeNames lists the modes as typed on a command line ("mail, digiposte").
func ModeNames() []string {
	names := make([]string, len(channels))
	for i, ch := range channels {
		names[i] = string(ch.Mode())
	}
	return names
}

// States lists every entry state in display order: the common ones' eligible first,
// then each channel's, then excluded and discovered.
func States() []StateInfo {
	out := []StateInfo{commonStates[2]}
	for _, ch := range channels {
		out = append(out, ch.States()...)
	}
	return append(out, commonStates[1], commonStates[0])
}

func stateInfo(s EntryState) (StateInfo, bool) {
	st, ok := stateInfos()[s]
	return st, ok
}

// stateInfos indexes every state once: Outcome is asked several times per state
// change, and each channel's States() builds its list anew.
var stateInfos = sync.OnceValue(func() map[EntryState]StateInfo {
	m := map[EntryState]StateInfo{}
	for _, ch := range channels {
		for _, st := range ch.States() {
			if _, dup := m[st.State]; !dup {
				m[st.State] = st
			}
		}
	}
	for _, st := range commonStates { // first, as before: they win
		m[st.State] = st
	}
	return m
})

// Label of a state in French.
func (s EntryState) Label() string {
	if st, ok := stateInfo(s); ok {
		return st.Label
	}
	return string(s)
}

// Outcome of a state; an unknown state is pending (shown, never lost).
func (s EntryState) Outcome() Outcome {
	if st, ok := stateInfo(s); ok {
		return st.Outcome
	}
	return OutcomePending
}

// Done reports whether the attestation has been delivered (R07: not relaunched).
func (s EntryState) Done() bool { return s.Outcome() == OutcomeServed }

// Label of a mode in French ("courriel", "Digiposte").
func (m Mode) Label() string {
	if ch, ok := ChannelOf(m); ok {
		return ch.Label()
	}
	return string(m)
}

// CountOutcomes sums counts per state into counts per outcome.
func CountOutcomes(counts map[EntryState]int) map[Outcome]int {
	out := map[Outcome]int{}
	for s, n := range counts {
		out[s.Outcome()] += n
	}
	return out
}

// missing names, in French, the ports a channel needs and the engine lacks.
func (e *Engine) missing(n Needs) []string {
	var m []string
	if n.Renderer && e.renderer == nil {
		m = append(m, "générateur PDF")
	}
	if n.Mailer && e.mailer == nil {
		m = append(m, "serveur de courriel")
	}
	if n.Vault && e.vault == nil {
		m = append(m, "Digiposte")
	}
	if n.Printer && e.printer == nil {
		m = append(m, "dossier des lots d'impression")
	}
	return m
}

// channel gives the channel of a mode if the engine can use it, or says why not.
func (e *Engine) channel(m Mode) (Channel, error) {
	ch, ok := ChannelOf(m)
	if !ok {
		return nil, Invalid("mode de diffusion %q inconnu (%s)", m, strings.Join(ModeNames(), ", "))
	}
	if miss := e.missing(ch.Needs()); len(miss) > 0 {
		return nil, fmt.Errorf("diffusion par %s impossible : %s non configuré", ch.Label(), strings.Join(miss, " ni "))
	}
	return ch, nil
}

// Channels lists the channels a campaign can be launched in with this engine's
// wiring, the configured one (Settings().Mode) first.
func (e *Engine) Channels() []Channel {
	var out []Channel
	if ch, err := e.channel(e.settings.Mode); err == nil {
		out = append(out, ch)
	}
	for _, ch := range channels {
		if ch.Mode() != e.settings.Mode && len(e.missing(ch.Needs())) == 0 {
			out = append(out, ch)
		}
	}
	return out
}

// DeliveryModes lists the modes of Channels.
func (e *Engine) DeliveryModes() []Mode {
	var modes []Mode
	for _, ch := range e.Channels() {
		modes = append(modes, ch.Mode())
	}
	return modes
}

// Summary says in French what a campaign's counts mean in its channel's words:
// "65 envoyés, 2 en échec, 33 exclus".
func Summary(ch Channel, counts map[EntryState]int) string {
	by := CountOutcomes(counts)
	parts := []string{fmt.Sprintf("%d %s", by[OutcomeServed], ch.OutcomeLabel(OutcomeServed)),
		fmt.Sprintf("%d %s", by[OutcomeFailed], ch.OutcomeLabel(OutcomeFailed))}
	if n := by[OutcomeClosed]; n > 0 {
		parts = append(parts, fmt.Sprintf("%d %s", n, ch.OutcomeLabel(OutcomeClosed)))
	}
	if n := by[OutcomePending]; n > 0 {
		parts = append(parts, fmt.Sprintf("%d %s", n, ch.OutcomeLabel(OutcomePending)))
	}
	parts = append(parts, fmt.Sprintf("%d %s", by[OutcomeExcluded], ch.OutcomeLabel(OutcomeExcluded)))
	return strings.Join(parts, ", ")
}

// Scheduled reports whether a channel's students are worked through by a scheduled
// job of the daemon (Digiposte) rather than at launch: no progress to follow, no
// relaunch, the campaign waits.
func Scheduled(ch Channel) bool { return ch.runner() == nil }
