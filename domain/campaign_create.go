package domain

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
)

// CampaignCreating: Launch is storing the campaign's students. Such a campaign is
// never worked through; it becomes running (or waiting) once every student is stored.
// One left "creating" by a crash is marked failed by Resume (abandonCreation).
const CampaignCreating CampaignState = "creating"

// launchChunk is how many entries Launch stores per transaction. A campaign of 10,000
// students was one transaction: its encoded entries (≈ 20 MB) and bbolt's dirty pages
// were all in memory at once, the peak of the whole campaign's memory (issue 18).
// A few hundred per commit keep that to a few MB for a handful of extra commits.
const launchChunk = 512

// creations are the campaigns this engine is creating or has created: Resume must
// never take one of them for the leftover of a crash. pending counts the Launch calls
// between "about to record a campaign" and "its ID is known": while one is, a
// campaign found "creating" may be that one, and Resume leaves them all for later.
type creations struct {
	mu      sync.Mutex
	pending int
	ids     map[string]bool // for the engine's lifetime: one short ID per launch
}

func (c *creations) begin() {
	c.mu.Lock()
	c.pending++
	c.mu.Unlock()
}

// recorded ends begin: id ("" if the campaign could not be recorded) is ours.
func (c *creations) recorded(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.pending--
	if id != "" {
		if c.ids == nil {
			c.ids = map[string]bool{}
		}
		c.ids[id] = true
	}
}

// leftover says whether a campaign found "creating" is a crash's leftover, not one of
// this engine's launches.
func (c *creations) leftover(id string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.pending == 0 && !c.ids[id]
}

// storeCampaign records a new campaign and its entries, and sets camp.ID. The
// campaign is recorded "creating" (without its "campaign created" mails, R17a), its
// entries are stored launchChunk at a time, and only then is it recorded as camp says
// (running), in a transaction of its own after the last entries are durable. A crash
// at any point leaves either no campaign, or one "creating" that nothing works
// through and that Resume marks failed — never a running campaign that would serve
// part of its students and silently skip the others. On a failure here the campaign
// is marked failed the same way (its stored entries removed) and the error returned.
func (e *Engine) storeCampaign(camp *Campaign, entries []Entry, user string) error {
	final := *camp
	creating := *camp
	creating.State, creating.ManagerMails = CampaignCreating, nil
	e.creations.begin()
	err := e.store.CreateCampaign(&creating)
	e.creations.recorded(creating.ID)
	if err != nil {
		return fmt.Errorf("enregistrement de la campagne : %w", err)
	}
	camp.ID, final.ID = creating.ID, creating.ID
	if err := e.putEntriesChunked(creating.ID, entries); err != nil {
		cause := fmt.Errorf("enregistrement des étudiants de la campagne : %w ; aucune attestation n'a été envoyée", err)
		return errors.Join(cause, e.abandonCreation(creating, user, cause))
	}
	if err := e.store.UpdateCampaign(final); err != nil {
		cause := fmt.Errorf("enregistrement de la campagne : %w ; aucune attestation n'a été envoyée", err)
		return errors.Join(cause, e.abandonCreation(creating, user, cause))
	}
	return nil
}

// putEntriesChunked stores entries launchChunk at a time, in student code order: the
// code is the key, so each transaction appends to the end of the campaign's bucket
// instead of rewriting pages all over it. The next chunk is encoded while the last one
// commits; no more than one waits behind the commit, so a group stays at most two
// chunks.
func (e *Engine) putEntriesChunked(id string, entries []Entry) error {
	order := make([]int, len(entries))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return strings.Compare(entries[a].Student.Code, entries[b].Student.Code) })
	async, _ := e.store.(AsyncEntryWriter)
	var pending func() error
	chunk := make([]Entry, 0, launchChunk)
	for start := 0; start < len(order); start += launchChunk {
		chunk = chunk[:0]
		for _, i := range order[start:min(start+launchChunk, len(order))] {
			chunk = append(chunk, entries[i])
		}
		if async == nil {
			if err := e.store.PutEntries(id, chunk); err != nil {
				return err
			}
			continue
		}
		wait := async.PutEntriesAsync(id, chunk) // encodes chunk before returning: reusable
		if err := flush(&pending); err != nil {
			_ = wait()
			return err
		}
		pending = wait
	}
	return flush(&pending)
}

// abandonCreation marks failed a campaign whose creation did not complete, with cause
// as the reason the manager reads, and removes the entries it got: they are a part of
// its students only, and relaunching it must not be possible (Relaunch refuses a
// failed campaign without entries). The entries go first: a crash in between leaves
// it "creating" and empty, and the next Resume ends the job. It returns the store's
// error if it could not (the campaign then stays "creating", for the next Resume).
func (e *Engine) abandonCreation(camp Campaign, user string, cause error) error {
	if p, ok := e.store.(EntryPurger); ok {
		if _, err := p.PurgeEntries(camp.ID, func(n int) AuditRecord {
			return AuditRecord{At: e.clock.Now(), User: user, Action: AuditFail,
				Detail: fmt.Sprintf("%s (%d étudiants enregistrés sur %d, effacés)", cause, n, total(camp.Counts))}
		}); err != nil {
			e.log.Error("campagne interrompue pendant sa création : étudiants non effacés", "campagne", camp.ID, "erreur", err)
			return err
		}
	}
	camp.State, camp.Error, camp.Counts = CampaignFailed, cause.Error(), nil
	camp.UpdatedAt = e.clock.Now()
	camp.FinishedAt = camp.UpdatedAt
	if err := e.store.UpdateCampaign(camp); err != nil {
		return err
	}
	e.log.Error("campagne arrêtée pendant sa création, rien n'a été envoyé", "campagne", camp.ID, "erreur", cause)
	return nil
}

// errCreationInterrupted is the reason given to a campaign found "creating" at start-up.
var errCreationInterrupted = errors.New("création interrompue : hypercerts s'est arrêté pendant l'enregistrement des étudiants de la campagne ; aucune attestation n'a été envoyée : lancez une nouvelle campagne")

// abandonInterrupted marks failed the campaigns of list left "creating" by a crash
// (not this engine's launches), and returns the list with their new state. Each one
// failed is also an error: `campaign resume` must not exit 0, nor the daemon's job
// report success, when a campaign was found unable to serve anybody.
func (e *Engine) abandonInterrupted(list []Campaign) ([]Campaign, error) {
	var errs []error
	for i, c := range list {
		if c.State != CampaignCreating || !e.creations.leftover(c.ID) {
			continue
		}
		if err := e.abandonCreation(c, systemUser, errCreationInterrupted); err != nil {
			errs = append(errs, fmt.Errorf("campagne %s : %w", c.ID, err))
			continue
		}
		errs = append(errs, fmt.Errorf("campagne %s marquée échouée : %w", c.ID, errCreationInterrupted))
		fresh, err := e.store.Campaign(c.ID)
		if err == nil {
			list[i] = fresh
		}
	}
	return list, errors.Join(errs...)
}

func total(counts map[EntryState]int) int {
	n := 0
	for _, v := range counts {
		n += v
	}
	return n
}
