package domain_test

import (
	"strings"
	"testing"

	"hypercerts/domain"
)

// Every channel declares each of its states once, with a French label, and its path
// runs from eligible to a served state through its own states only.
func TestChannels_DeclareTheirStates(t *testing.T) {
	t.Parallel()
	seen := map[domain.EntryState]domain.Mode{}
	for _, ch := range domain.Channels() {
		if ch.Label() == "" || ch.Mode().Label() != ch.Label() {
			t.Errorf("%s: label %q", ch.Mode(), ch.Label())
		}
		own := map[domain.EntryState]bool{domain.EntryEligible: true}
		for _, st := range ch.States() {
			if other, dup := seen[st.State]; dup {
				t.Errorf("state %s declared by %s and %s", st.State, other, ch.Mode())
			}
			seen[st.State], own[st.State] = ch.Mode(), true
			if st.Label == "" || st.Label == string(st.State) || st.State.Label() != st.Label {
				t.Errorf("%s: state %s has label %q", ch.Mode(), st.State, st.Label)
			}
		}
		path := ch.Path()
		if len(path) < 2 || path[0] != domain.EntryEligible || path[len(path)-1].Outcome() != domain.OutcomeServed {
			t.Errorf("%s: path %v", ch.Mode(), path)
		}
		for _, s := range path {
			if !own[s] {
				t.Errorf("%s: path goes through %s, not one of its states", ch.Mode(), s)
			}
		}
		for o := domain.OutcomeExcluded; o <= domain.OutcomeClosed; o++ {
			if ch.OutcomeLabel(o) == "" {
				t.Errorf("%s: outcome %d has no label", ch.Mode(), o)
			}
		}
		if ok, why := ch.Relaunch(); !ok && why == "" {
			t.Errorf("%s: relaunch refused without a reason", ch.Mode())
		}
		if len(ch.Checks()) == 0 {
			t.Errorf("%s: no doctor check", ch.Mode())
		}
		if got, ok := domain.ChannelOf(ch.Mode()); !ok || got.Mode() != ch.Mode() {
			t.Errorf("ChannelOf(%s) = %v", ch.Mode(), got)
		}
	}
	if _, ok := domain.ChannelOf("pigeon"); ok {
		t.Error("unknown mode has a channel")
	}
}

// R07: served states are never relaunched; the summary uses the channel's words.
func TestR07_OutcomesAndSummary(t *testing.T) {
	t.Parallel()
	if !domain.EntryMailed.Done() || !domain.EntryDeposited.Done() || domain.EntryMailFailed.Done() {
		t.Error("Done")
	}
	if domain.EntryMailed.Relaunchable() || !domain.EntryMailFailed.Relaunchable() || domain.EntryExcluded.Relaunchable() {
		t.Error("Relaunchable")
	}
	mail, _ := domain.ChannelOf(domain.ModeMail)
	got := domain.Summary(mail, map[domain.EntryState]int{domain.EntryMailed: 65, domain.EntryMailFailed: 2, domain.EntryExcluded: 33})
	if got != "65 envoyés, 2 en échec, 33 exclus" {
		t.Errorf("summary %q", got)
	}
	if s := domain.ModeNames(); !strings.Contains(strings.Join(s, ","), "mail,digiposte") {
		t.Errorf("mode names %v", s)
	}
}
