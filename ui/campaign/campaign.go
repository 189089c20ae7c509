// Package campaign is the Campagne screen: one campaign's students and their states,
// the reasons of failures and exclusions, the relaunch (R07) with its confirmation,
// and the audit log.
package campaign

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"hypercerts/domain"
	"hypercerts/ui/common"
	"hypercerts/ui/i18n"
	"hypercerts/ui/keymap"
	"hypercerts/ui/launch"
)

// LoadedMsg carries the campaign, its students and its audit log.
type LoadedMsg struct {
	ID       int64
	Campaign domain.Campaign
	Entries  []domain.Entry
	Audit    []domain.AuditRecord
	Running  bool
	Err      error
}

// RevokedMsg: the engine revoked (or refused to revoke) an attestation.
type RevokedMsg struct {
	ID  int64
	Ref string
	Err error
}

// PrintedMsg: the print campaign of a campaign's unserved students was launched (or
// refused).
type PrintedMsg struct {
	ID         int64
	CampaignID string
	Err        error
}

// RelaunchedMsg: the engine accepted (or refused) the relaunch.
type RelaunchedMsg struct {
	ID  int64
	Err error
}

type tab int

const (
	tabEntries tab = iota
	tabAudit
)

type filter int

const (
	filterAll filter = iota
	filterDone
	filterFailed
	filterExcluded
	filterTodo
	filterCount
)

// outcome is the group of students a filter keeps.
func (f filter) outcome() domain.Outcome {
	return [...]domain.Outcome{filterDone: domain.OutcomeServed, filterFailed: domain.OutcomeFailed,
		filterExcluded: domain.OutcomeExcluded, filterTodo: domain.OutcomePending}[f]
}

// label names the filter in the words of the campaign's channel.
func (f filter) label(mode domain.Mode) string {
	ch, ok := domain.ChannelOf(mode)
	if f == filterAll || !ok {
		return i18n.CampFilterAll
	}
	if f == filterFailed && hasClosed(ch) {
		return ch.OutcomeLabel(domain.OutcomeFailed) + " ou " + ch.OutcomeLabel(domain.OutcomeClosed)
	}
	return ch.OutcomeLabel(f.outcome())
}

// keep: the entry is in the filter's group (failures include the students who
// closed their channel, e.g. cancelled their vault).
func (f filter) keep(e *domain.Entry) bool {
	if f == filterAll {
		return true
	}
	o := e.State.Outcome()
	return o == f.outcome() || (f == filterFailed && o == domain.OutcomeClosed)
}

func hasClosed(ch domain.Channel) bool {
	for _, st := range ch.States() {
		if st.Outcome == domain.OutcomeClosed {
			return true
		}
	}
	return false
}

// PathCounts is the channel's path with its counts, then its other states:
// "à demander 0 → adhésion demandée 3 → coffre ouvert 1 → étudiant prévenu 2 →
// déposé 4 · coffre refusé 1 · résilié 1 · exclu 12".
func PathCounts(ch domain.Channel, counts map[domain.EntryState]int) string {
	var steps []string
	onPath := map[domain.EntryState]bool{}
	for _, st := range ch.Path() {
		onPath[st] = true
		label := st.Label()
		if st == domain.EntryEligible {
			label = i18n.CampDigiToRequest
		}
		steps = append(steps, unbreakable(label+" "+i18n.Int(counts[st])))
	}
	out := strings.Join(steps, " → ")
	for _, st := range ch.States() {
		if !onPath[st.State] {
			out += " · " + unbreakable(st.Label+" "+i18n.Int(counts[st.State]))
		}
	}
	return out + " · " + unbreakable(domain.EntryExcluded.Label()+" "+i18n.Int(counts[domain.EntryExcluded]))
}

// unbreakable joins the words of s with no-break spaces, so a wrapped line never
// separates a state from its count.
func unbreakable(s string) string { return strings.ReplaceAll(s, " ", "\u00a0") }

// Model is the campaign screen.
type Model struct {
	c        *common.Common
	id       int64
	campID   string
	loading  bool
	err      error
	camp     domain.Campaign
	entries  []domain.Entry
	audit    []domain.AuditRecord
	view     []int
	order    []int // indices of entries by name (or by code after s)
	byCode   bool
	filter   filter
	tab      tab
	cur      common.Table  // the students
	auditCur common.Table  // the journal
	rec      common.Detail // the full record of a student or of a journal line (Entrée, d)
	ask      int           // > 0: relaunch confirmation of that many students
	askPrint []string      // not nil: "imprimer ces étudiants" confirmation for these codes
	revoke   *revokeAsk    // the reason being typed for a revocation
	running  bool
	loadedAt time.Time // wall time of the last read (paces the live reads)
	prog     domain.Progress
	ch       <-chan domain.Progress
	stop     func()
	width    int
	height   int
}

// revokeAsk is a revocation being confirmed: whose, and the reason typed.
type revokeAsk struct {
	ref, name string
	reason    common.Input
}

// New makes the screen of campaign id.
func New(c *common.Common, id string) *Model {
	m := &Model{c: c, id: c.NextID(), campID: id, loading: true,
		cur: common.NewTable(entryCols), auditCur: common.NewTable(auditCols)}
	m.cur.Empty, m.auditCur.Empty = i18n.CampNoEntry, i18n.CampNoAudit
	return m
}

// Title names the screen.
func (m *Model) Title() string { return i18n.ScreenCampaign + " " + m.campID }

// Busy: loading.
func (m *Model) Busy() bool { return m.loading }

// Capturing: the revocation's reason is being typed (q and ? are letters then).
func (m *Model) Capturing() bool { return m.revoke != nil }

// Owns: id is this screen's (its watch).
func (m *Model) Owns(id int64) bool { return id == m.id }

// Close stops watching.
func (m *Model) Close() {
	if m.stop != nil {
		m.stop()
		m.stop = nil
	}
}

// Init loads the campaign.
func (m *Model) Init() tea.Cmd { return m.load() }

// Refresh reloads.
func (m *Model) Refresh() tea.Cmd { return m.load() }

func (m *Model) load() tea.Cmd {
	m.loading = true
	c, id, campID := m.c, m.id, m.campID
	return func() tea.Msg {
		msg := LoadedMsg{ID: id}
		// Running is read first: a run that ends while the rest is read is then watched
		// (and reloaded at its end) instead of leaving its last in-flight state on screen.
		for _, r := range c.Engine.Running() {
			msg.Running = msg.Running || r == campID
		}
		msg.Campaign, msg.Err = c.Engine.Campaign(c.Ctx, c.User, campID)
		if msg.Err == nil {
			msg.Entries, msg.Err = c.Engine.Entries(c.Ctx, c.User, campID)
		}
		if msg.Err == nil {
			msg.Audit, msg.Err = c.Engine.Audit(c.Ctx, c.User, campID)
		}
		return msg
	}
}

func (m *Model) watch() tea.Cmd { return common.WatchCmd(m.c, m.id, m.campID) }

// SetSize gives the room.
func (m *Model) SetSize(w, h int) {
	m.width, m.height = w, h
	m.resize()
}

// headLines is the number of lines above the list: the header, the state, the counts,
// the Digiposte explanation, the tabs and the column titles.
func (m *Model) headLines() int {
	return strings.Count(strings.Join(m.head(), "\n"), "\n") + 3
}

// head is what is above the tabs: the campaign and its state (wrapped on two lines
// each, so the end date is never cut at 80 columns), its counts. On a short terminal
// it gives way so that the tabs, the column titles and at least one row still show
// (issue 16 item 14): see fitHead.
func (m *Model) head() []string {
	s := m.c.Styles
	c := m.camp
	label := c.DiplomaLabel
	if label == "" {
		label = c.VDI.Label
	}
	mode := c.Mode.Label()
	if c.TestMode {
		mode += fmt.Sprintf(i18n.CampTestTo, c.TestRecipient)
	}
	strong := s.Strong.Render
	plain := func(t ...string) string { return strings.Join(t, "") }
	st := fmt.Sprintf(i18n.CampState, i18n.CampaignState(c), i18n.Date(c.CreatedAt), c.CreatedBy)
	if !c.FinishedAt.IsZero() {
		st += fmt.Sprintf(i18n.CampFinished, i18n.Date(c.FinishedAt))
	}
	parts := []headPart{
		{text: fmt.Sprintf(i18n.CampHeader, label, c.VDI.Key(), domain.AcademicYearLabel(c.Year), c.Component.Code, mode), style: strong, max: 2},
		{text: st, style: plain, max: 2, prio: 2},
	}
	if m.ask == 0 {
		switch {
		case m.running:
			parts = append(parts, headPart{text: fmt.Sprintf(i18n.CampRunning, i18n.Int(m.prog.Processed), i18n.Int(m.prog.ToDo)) + " · " + launch.Counts(c.Counts), style: s.Status.Render, prio: 1})
		case c.State == domain.CampaignFailed:
			parts = append(parts, headPart{text: fmt.Sprintf(i18n.CampFailed, i18n.French(c.Error)), style: s.Error.Render, prio: 1})
		case c.State == domain.CampaignSuspended:
			parts = append(parts, headPart{text: fmt.Sprintf(i18n.CampSuspended, i18n.French(c.Error)), style: s.Error.Render, max: 2, prio: 1},
				headPart{text: launch.Counts(c.Counts), style: plain, prio: 2})
		case m.scheduled():
			ch, _ := domain.ChannelOf(m.camp.Mode)
			parts = append(parts, headPart{text: PathCounts(ch, m.camp.Counts), style: plain, prio: 1})
		default:
			parts = append(parts, headPart{text: launch.Counts(c.Counts), style: plain, prio: 1})
		}
		if m.scheduled() {
			parts = append(parts, headPart{text: i18n.CampDigiCycle, style: s.Muted.Render, prio: 3})
		}
	}
	return fitHead(parts, m.width, m.height-3) // the tabs, the column titles, one row
}

// headPart is one block of the head: its text, wrapped on at most max lines (0: as
// many as needed), and its priority (0: always shown; the highest gives way first).
type headPart struct {
	text  string
	style func(...string) string // a lipgloss Style's Render
	max   int
	prio  int
}

// fitHead lays the parts out in at most budget lines. While they do not fit: the
// parts of priority 3 (explanations, also in the help) go; then, from the highest
// priority down, each part keeps one line (cut with « … »); then, from the highest
// priority down, parts other than the campaign's own line go.
func fitHead(parts []headPart, width, budget int) []string {
	lines := make([]int, len(parts))
	drawn := make([]string, len(parts))
	shown := make([]bool, len(parts))
	set := func(i, n int) {
		p := parts[i]
		if n == 1 {
			drawn[i] = common.Cut(p.text, width)
		} else if p.max > 0 {
			drawn[i] = common.WrapMax(p.text, width, p.max)
		} else {
			drawn[i] = common.Wrap(p.text, width)
		}
		lines[i] = strings.Count(drawn[i], "\n") + 1
	}
	total := func() int {
		n := 0
		for i := range parts {
			if shown[i] {
				n += lines[i]
			}
		}
		return n
	}
	for i := range parts {
		shown[i] = true
		set(i, 0)
	}
	for i, p := range parts {
		if p.prio >= 3 && total() > budget {
			shown[i] = false
		}
	}
	for prio := 2; prio >= 0 && total() > budget; prio-- {
		for i, p := range parts {
			if p.prio == prio && shown[i] && lines[i] > 1 && total() > budget {
				set(i, 1)
			}
		}
	}
	for prio := 2; prio >= 1 && total() > budget; prio-- {
		for i, p := range parts {
			if p.prio == prio && total() > budget {
				shown[i] = false
			}
		}
	}
	var out []string
	for i, p := range parts {
		if shown[i] {
			out = append(out, p.style(drawn[i]))
		}
	}
	return out
}

// scheduled: the campaign's students are served by the daemon's scheduled job.
func (m *Model) scheduled() bool {
	ch, ok := domain.ChannelOf(m.camp.Mode)
	return ok && domain.Scheduled(ch)
}

// relaunchRefused says why the campaign's channel takes no relaunch ("" if it does).
func (m *Model) relaunchRefused() string {
	ch, ok := domain.ChannelOf(m.camp.Mode)
	if !ok {
		return ""
	}
	if ok, why := ch.Relaunch(); !ok {
		return fmt.Sprintf(i18n.CampNoRelaunch, ch.Label(), why)
	}
	return ""
}

func (m *Model) resize() {
	m.cur.SetWidth(m.width)
	m.auditCur.SetWidth(m.width)
	m.cur.SetHeight(m.height - m.headLines())
	m.auditCur.SetHeight(m.height - m.headLines())
	m.rec.SetSize(m.width, m.height)
}

// openRecord shows the full record of the row under the cursor.
func (m *Model) openRecord() {
	if m.tab == tabAudit {
		if len(m.audit) == 0 {
			return
		}
		r := m.audit[m.auditCur.Pos]
		m.rec.Show(fmt.Sprintf(i18n.DetTitleAudit, i18n.AuditAction(r.Action), i18n.Date(r.At)), []common.Field{
			{Label: i18n.DetFAt, Value: i18n.Date(r.At)}, {Label: i18n.DetFUser, Value: r.User},
			{Label: i18n.DetFAction, Value: i18n.AuditAction(r.Action)}, {Label: i18n.DetFDetail, Value: r.Detail}})
		return
	}
	if len(m.view) == 0 {
		return
	}
	e := &m.entries[m.view[m.cur.Pos]]
	m.rec.Show(fmt.Sprintf(i18n.DetTitleStudent, e.Student.FullName()), common.EntryFields(e))
}

// refreshRecord redraws an open student record after a reload (its state moved).
func (m *Model) refreshRecord() {
	if !m.rec.IsOpen() || m.tab != tabEntries || len(m.view) == 0 {
		return
	}
	e := &m.entries[m.view[m.cur.Pos]]
	m.rec.Update(fmt.Sprintf(i18n.DetTitleStudent, e.Student.FullName()), common.EntryFields(e))
}

func (m *Model) refilter() {
	m.view = m.view[:0]
	for _, i := range m.order {
		if m.filter.keep(&m.entries[i]) {
			m.view = append(m.view, i)
		}
	}
	m.cur.SetLen(len(m.view))
}

// sortEntries orders the students like the preview (by name, French collation) or,
// after s, by student code.
func (m *Model) sortEntries() {
	m.order = m.order[:0]
	for i := range m.entries {
		m.order = append(m.order, i)
	}
	if m.byCode {
		slices.SortStableFunc(m.order, func(a, b int) int {
			return strings.Compare(m.entries[a].Student.Code, m.entries[b].Student.Code)
		})
		return
	}
	keys := make([]common.NameKey, len(m.entries))
	for i := range m.entries {
		keys[i] = common.KeyOf(m.entries[i].Student)
	}
	common.SortByName(m.order, keys)
}

// liveEvery paces the reads of the students while a run goes on.
const liveEvery = 500 * time.Millisecond

// askText is the relaunch question for m.ask students.
func (m *Model) askText() string {
	if m.ask == 1 {
		return i18n.CampRelaunchAskOne
	}
	return fmt.Sprintf(i18n.CampRelaunchAsk, i18n.Int(m.ask))
}

// selected is the code of the student under the cursor ("" when none).
func (m *Model) selected() string {
	if m.cur.Pos < len(m.view) {
		return m.entries[m.view[m.cur.Pos]].Student.Code
	}
	return ""
}

// reselect puts the cursor back on student code after a reload reordered the list.
func (m *Model) reselect(code string) {
	for i, k := range m.view {
		if code != "" && m.entries[k].Student.Code == code {
			m.cur.Move(i - m.cur.Pos)
			return
		}
	}
}

func (m *Model) relaunchable() int {
	n := 0
	for _, e := range m.entries {
		if e.State.Relaunchable() {
			n++
		}
	}
	return n
}

// Update handles results and keys.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	km := m.c.KeyMap
	switch msg := msg.(type) {
	case LoadedMsg:
		if msg.ID != m.id {
			return m, nil
		}
		m.loading, m.err, m.loadedAt = false, msg.Err, time.Now()
		if msg.Err != nil {
			return m, nil
		}
		sel := m.selected()
		m.camp, m.entries, m.audit = msg.Campaign, msg.Entries, msg.Audit
		if !msg.Running { // the entries are fresher than the stored counts
			counts := map[domain.EntryState]int{}
			for _, e := range m.entries {
				counts[e.State]++
			}
			m.camp.Counts = counts
		}
		m.resize()
		m.sortEntries()
		m.refilter()
		m.reselect(sel)
		m.refreshRecord()
		m.auditCur.SetLen(len(m.audit))
		if msg.Running && m.stop == nil {
			m.running = true
			return m, m.watch()
		}
	case PrintedMsg:
		if msg.ID != m.id {
			return m, nil
		}
		if msg.Err != nil {
			return m, common.ErrorCmd(msg.Err)
		}
		m.c.Bus.Changed()
		return m, tea.Batch(common.StatusCmd(fmt.Sprintf(i18n.CampPrinted, msg.CampaignID)), m.load())
	case RelaunchedMsg:
		if msg.ID != m.id {
			return m, nil
		}
		if msg.Err != nil {
			return m, common.ErrorCmd(msg.Err)
		}
		m.c.Bus.Changed()
		return m, m.load()
	case common.WatchingMsg:
		if msg.ID != m.id {
			msg.Stop()
			return m, nil
		}
		m.ch, m.stop = msg.Ch, msg.Stop
		return m, common.WaitProgressCmd(m.id, m.ch)
	case common.ProgressMsg:
		if msg.ID != m.id {
			return m, nil
		}
		if msg.Progress.CampaignID != "" {
			m.prog = msg.Progress
			m.camp.Counts = msg.Progress.Counts
			m.resize() // the counts may take another line
		}
		if msg.Closed || m.prog.Done {
			m.running, m.stop, m.ch = false, nil, nil
			return m, m.load()
		}
		// The list follows the run: the students are read again, one read at a time
		// and at most every half second, so the states and failures shown stay live.
		if !m.loading && time.Since(m.loadedAt) >= liveEvery {
			return m, tea.Batch(m.load(), common.WaitProgressCmd(m.id, m.ch))
		}
		return m, common.WaitProgressCmd(m.id, m.ch)
	case RevokedMsg:
		if msg.ID != m.id {
			return m, nil
		}
		if msg.Err != nil {
			return m, common.ErrorCmd(msg.Err)
		}
		m.c.Bus.Changed()
		return m, tea.Batch(common.StatusCmd(fmt.Sprintf(i18n.CampRevoked, msg.Ref)), m.load())
	case tea.KeyMsg:
		if m.revoke != nil {
			return m, m.revokeKey(msg)
		}
		if m.askPrint != nil {
			codes := m.askPrint
			m.askPrint = nil
			if key.Matches(msg, km.Yes) {
				return m, m.printCmd(codes)
			}
			return m, nil
		}
		if m.ask > 0 {
			n := m.ask
			m.ask = 0
			if key.Matches(msg, km.Yes) {
				c, id, campID := m.c, m.id, m.campID
				return m, tea.Batch(common.StatusCmd(fmt.Sprintf(i18n.CampRelaunched, i18n.Plural(n, i18n.NounStudent))), func() tea.Msg {
					return RelaunchedMsg{ID: id, Err: c.Engine.Relaunch(c.Ctx, c.User, campID)}
				})
			}
			return m, nil
		}
		if m.rec.HandleKey(msg, km) {
			return m, nil
		}
		if key.Matches(msg, km.Back) {
			return m, common.Back
		}
		if m.err != nil {
			if key.Matches(msg, km.Refresh) {
				return m, m.load()
			}
			return m, nil
		}
		cur := &m.cur.Cursor
		if m.tab == tabAudit {
			cur = &m.auditCur.Cursor
		}
		if cur.HandleKey(msg, km) {
			return m, nil
		}
		switch {
		case key.Matches(msg, km.Detail), key.Matches(msg, km.Enter):
			m.openRecord()
		case key.Matches(msg, km.Tab):
			m.tab = 1 - m.tab
		case key.Matches(msg, km.Sort) && m.tab == tabEntries:
			sel := m.selected()
			m.byCode = !m.byCode
			m.sortEntries()
			m.refilter()
			m.reselect(sel)
		case key.Matches(msg, km.Filter) && m.tab == tabEntries:
			m.filter = (m.filter + 1) % filterCount
			m.refilter()
		case key.Matches(msg, km.Refresh):
			return m, m.load()
		case key.Matches(msg, km.Revoke) && m.tab == tabEntries:
			return m, m.startRevoke()
		case key.Matches(msg, km.Print) && m.tab == tabEntries && m.canPrint():
			codes := m.unserved()
			if len(codes) == 0 {
				return m, common.StatusCmd(i18n.CampPrintNone)
			}
			m.askPrint = codes
		case key.Matches(msg, km.Relaunch):
			if why := m.relaunchRefused(); why != "" { // the engine refuses it: say why
				return m, common.StatusCmd(why)
			}
			if m.running {
				return m, nil
			}
			n := m.relaunchable()
			if n == 0 {
				return m, common.StatusCmd(i18n.CampRelaunchNone)
			}
			m.ask = n
		}
	}
	return m, nil
}

// startRevoke asks the reason of revoking the attestation of the student under the
// cursor; only a delivered attestation (one with a reference) can be revoked.
func (m *Model) startRevoke() tea.Cmd {
	if len(m.view) == 0 {
		return nil
	}
	e := &m.entries[m.view[m.cur.Pos]]
	if e.Reference == "" || !e.State.Done() {
		return common.StatusCmd(i18n.CampRevokeNone)
	}
	m.revoke = &revokeAsk{ref: e.Reference, name: e.Student.FullName(), reason: m.c.NewInput(i18n.CampRevokeHolder, 300)}
	return nil
}

// revokeKey edits the reason; Entrée revokes (the engine checks rights, R02, and
// refuses an empty reason), Échap cancels.
func (m *Model) revokeKey(msg tea.KeyMsg) tea.Cmd {
	switch msg.Type {
	case tea.KeyEsc:
		m.revoke = nil
		return nil
	case tea.KeyEnter:
		r := m.revoke
		if strings.TrimSpace(r.reason.Value()) == "" {
			return nil
		}
		m.revoke = nil
		c, id, ref, reason := m.c, m.id, r.ref, r.reason.Value()
		return func() tea.Msg {
			_, err := c.Engine.RevokeAttestation(c.Ctx, c.User, ref, reason)
			return RevokedMsg{ID: id, Ref: ref, Err: err}
		}
	}
	_, cmd := m.revoke.reason.Update(msg)
	return cmd
}

// ShortHelp is the help bar.
func (m *Model) ShortHelp() []key.Binding {
	km := m.c.KeyMap
	if m.askPrint != nil {
		return []key.Binding{keymap.Labelled(km.Yes, i18n.KeyPrint), km.No}
	}
	if m.ask > 0 {
		return []key.Binding{keymap.Labelled(km.Yes, i18n.KeyRelaunch), km.No}
	}
	if m.revoke != nil { // typing the reason: the field's keys
		return []key.Binding{keymap.Labelled(km.Enter, i18n.KeyValidate), keymap.Labelled(km.Back, i18n.KeyCancel)}
	}
	if m.rec.IsOpen() {
		return m.rec.ShortHelp(km)
	}
	if m.err != nil {
		return []key.Binding{keymap.Labelled(km.Refresh, i18n.KeyRetry), km.Back}
	}
	var keys []key.Binding
	if m.canRelaunch() { // the primary action of a campaign with failures
		keys = append(keys, km.Relaunch)
	}
	if m.rows() > 0 {
		keys = append(keys, km.Detail)
	}
	if m.revocable() {
		keys = append(keys, km.Revoke)
	}
	if m.tab == tabEntries && m.canPrint() {
		keys = append(keys, km.Print)
	}
	if m.tab == tabEntries {
		keys = append(keys, km.Filter, m.sortKey())
	}
	keys = append(keys, km.Tab, km.Refresh, km.Back)
	if !m.canRelaunch() && m.relaunchRefused() == "" && !m.running {
		keys = append(keys, km.Relaunch) // says why there is nothing to relaunch
	}
	return keys
}

// revocable: the student under the cursor has a delivered attestation (v revokes it).
func (m *Model) revocable() bool {
	if m.tab != tabEntries || m.cur.Pos >= len(m.view) {
		return false
	}
	e := &m.entries[m.view[m.cur.Pos]]
	return e.Reference != "" && e.State.Done()
}

// canRelaunch: a mail campaign, not running, with students to send again (R07).
func (m *Model) canRelaunch() bool {
	return m.relaunchRefused() == "" && !m.running && m.relaunchable() > 0
}

// rows is the number of rows of the current tab.
func (m *Model) rows() int {
	if m.tab == tabAudit {
		return len(m.audit)
	}
	return len(m.view)
}

func (m *Model) sortKey() key.Binding {
	if m.byCode {
		return keymap.Labelled(m.c.KeyMap.Sort, i18n.KeySortName)
	}
	return keymap.Labelled(m.c.KeyMap.Sort, i18n.KeySortCode)
}

// FullHelp is the full help.
func (m *Model) FullHelp() [][]key.Binding { return [][]key.Binding{m.ShortHelp()} }

// HelpSections is the full help by sections: only what works now.
func (m *Model) HelpSections() []common.HelpSection {
	km := m.c.KeyMap
	if m.rec.IsOpen() {
		return m.rec.HelpSections(km)
	}
	if m.ask > 0 || m.err != nil {
		return common.Sections(nil, m.ShortHelp(), nil)
	}
	var nav, actions, filters []key.Binding
	if m.rows() > 0 {
		nav = append(km.Navigation(), km.Detail)
	}
	nav = append(nav, km.Tab)
	for _, b := range m.ShortHelp() {
		switch b.Help().Key {
		case km.Detail.Help().Key, km.Tab.Help().Key:
		case "f", "s":
			filters = append(filters, b)
		default:
			actions = append(actions, b)
		}
	}
	return common.Sections(nav, actions, filters)
}

// Legend explains the marks.
func (m *Model) Legend() []string {
	if m.rec.IsOpen() || m.ask > 0 || m.err != nil {
		return nil
	}
	l := []string{i18n.LegendCursor, i18n.LegendTab}
	if m.tab == tabEntries && m.relaunchRefused() == "" {
		l = append(l, i18n.LegendFailed)
	}
	return l
}

// View draws the header, the tabs and the current tab.
func (m *Model) View() string {
	s := m.c.Styles
	if m.err != nil {
		return m.c.ErrorView(m.err, m.width)
	}
	if m.loading && m.camp.ID == "" {
		return s.Muted.Render(i18n.Loading)
	}
	if m.rec.IsOpen() {
		return m.rec.View(s)
	}
	lines := m.head()
	if m.revoke != nil { // the reason asked in a box, in place of the list
		lines = append(lines, "", m.c.Dialog(i18n.CampRevokeTitle,
			[]string{fmt.Sprintf(i18n.CampRevokeAsk, m.revoke.ref, m.revoke.name), m.revoke.reason.View()}, i18n.CampRevokeHint, m.width))
		return strings.Join(lines, "\n")
	}
	if m.askPrint != nil {
		lines = append(lines, "", m.c.Dialog(i18n.CampPrintTitle,
			[]string{fmt.Sprintf(i18n.CampPrintAsk, i18n.Plural(len(m.askPrint), i18n.NounStudent))}, i18n.CampPrintKeys, m.width))
		return strings.Join(lines, "\n")
	}
	if m.ask > 0 { // the question in a box, wrapped, in place of the list
		lines = append(lines, "", m.c.Dialog(i18n.CampRelaunchTitle,
			[]string{m.askText()}, i18n.CampRelaunchKeys, m.width))
		return strings.Join(lines, "\n")
	}
	tabs := []string{i18n.CampTabEntries + " (" + i18n.Int(len(m.entries)) + ")", i18n.CampTabAudit + " (" + i18n.Int(len(m.audit)) + ")"}
	for i := range tabs {
		// The brackets mark the active tab without colour (NO_COLOR, monochrome).
		if tab(i) == m.tab {
			tabs[i] = s.TabActive.Render("[" + tabs[i] + "]")
		} else {
			tabs[i] = s.TabPassive.Render(" " + tabs[i] + " ")
		}
	}
	tabLine := strings.Join(tabs, " ")
	if m.tab == tabEntries {
		tabLine += s.Muted.Render("  " + fmt.Sprintf(i18n.CampFilter, m.filter.label(m.camp.Mode)))
	}
	lines = append(lines, tabLine)
	if m.tab == tabEntries {
		lines = append(lines, m.entriesView())
	} else {
		lines = append(lines, m.auditView())
	}
	return strings.Join(lines, "\n")
}

var entryCols = []common.Column{
	{Title: i18n.PrevColName, Width: 8, Flex: 2, Max: 22},
	{Title: i18n.PrevColFirst, Width: 8, Flex: 2, Max: 22},
	{Title: i18n.PrevColCode, Width: 8},
	{Title: i18n.CampColState, Width: 17},
	{Title: i18n.CampColAttempts, Width: 6},
	{Title: i18n.CampColReason, Width: 16, Flex: 5},
}

func (m *Model) entriesView() string {
	s := m.c.Styles
	return m.cur.View(s, func(i int) common.Row {
		e := &m.entries[m.view[i]]
		reason := i18n.French(e.LastError)
		if reason == "" {
			reason = strings.Join(e.Reasons, " ; ")
		}
		attempts := ""
		if e.Attempts > 0 {
			attempts = i18n.Int(e.Attempts)
		}
		r := common.Row{Cells: []string{e.Student.LastName, e.Student.FirstNames(), e.Student.Code, e.State.Label(), attempts, reason}}
		switch e.State.Outcome() {
		case domain.OutcomeFailed:
			r.Style = &s.Bad
		case domain.OutcomeExcluded, domain.OutcomeClosed:
			r.Style = &s.Muted
		}
		return r
	})
}

var auditCols = []common.Column{
	{Title: i18n.CampColAt, Width: 16},
	{Title: i18n.CampColUser, Width: 12},
	{Title: i18n.CampColAction, Width: 12},
	{Title: i18n.CampColDetail, Width: 20, Flex: 1},
}

func (m *Model) auditView() string {
	return m.auditCur.View(m.c.Styles, func(i int) common.Row {
		r := m.audit[i]
		return common.Row{Cells: []string{i18n.Date(r.At), r.User, i18n.AuditAction(r.Action), r.Detail}}
	})
}

// canPrint: "imprimer ces étudiants" is offered: the engine can print, the campaign
// is not itself a print campaign and is not running.
func (m *Model) canPrint() bool {
	return m.camp.Mode != domain.ModePrint && !m.running && m.camp.ID != "" &&
		slices.Contains(m.c.Engine.DeliveryModes(), domain.ModePrint)
}

// unserved are the students the campaign did not serve and a print batch can: failed,
// closed (a cancelled vault), pending in a campaign served at launch (a scheduled
// channel's pending students are still on their way), or excluded only for want of an
// e-mail address.
func (m *Model) unserved() []string {
	ch, ok := domain.ChannelOf(m.camp.Mode)
	scheduled := ok && domain.Scheduled(ch) // its pending students are still on their way
	var codes []string
	for _, e := range m.entries {
		switch o := e.State.Outcome(); {
		case o == domain.OutcomeFailed, o == domain.OutcomeClosed,
			o == domain.OutcomePending && e.State != domain.EntryDiscovered && !scheduled:
			codes = append(codes, e.Student.Code)
		case o == domain.OutcomeExcluded && len(e.Reasons) == 1 && e.Reasons[0] == domain.ReasonNoEmail:
			codes = append(codes, e.Student.Code)
		}
	}
	return codes
}

// printCmd launches a print campaign of codes, same year, VDI and VETs.
func (m *Model) printCmd(codes []string) tea.Cmd {
	c, id, camp := m.c, m.id, m.camp
	return func() tea.Msg {
		req := domain.PreviewRequest{Year: camp.Year, Component: camp.Component.Code, VDI: camp.VDI, VETs: camp.VETs, Mode: domain.ModePrint}
		pc, err := c.Engine.Launch(c.Ctx, c.User, req, domain.LaunchOptions{Mode: domain.ModePrint, Students: codes})
		return PrintedMsg{ID: id, CampaignID: pc.ID, Err: err}
	}
}
