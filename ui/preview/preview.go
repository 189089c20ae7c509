// Package preview is the Aperçu screen: the students of the chosen VDI as the engine
// streams them in, with their verdict, blockings and address; filters, search, a
// detail pane, totals and a CSV export. Only the visible rows are drawn.
package preview

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/spinner"
	tea "github.com/charmbracelet/bubbletea"

	"hypercerts/domain"
	"hypercerts/export"
	"hypercerts/ui/common"
	"hypercerts/ui/i18n"
	"hypercerts/ui/keymap"
)

// LaunchMsg asks the root to open the launch confirmation for this preview.
type LaunchMsg struct {
	Request domain.PreviewRequest // VDI and VETs resolved, with their labels
	Totals  domain.PreviewTotals
	Rows    []domain.Row // the confirmation recomputes its counts from them (domain.Plan)
	// At is when the preview started reading Apogée: a launch soon after reuses the
	// rows (domain.PreviewSnapshot).
	At time.Time
}

// Navigation marks LaunchMsg (common.Navigation: the root guards it against double presses).
func (LaunchMsg) Navigation() {}

// StartedMsg: the engine accepted the request and streams events.
type StartedMsg struct {
	ID     int64
	Events <-chan domain.PreviewEvent
	Err    error
}

// EventsMsg carries the events read since the last one (a batch keeps the UI fluid
// with thousands of rows).
type EventsMsg struct {
	ID     int64
	Events []domain.PreviewEvent
	Closed bool
}

// Filter is one of the row filters.
type Filter int

const (
	FilterAll Filter = iota
	FilterAdmitted
	FilterNotAdmitted
	FilterNoVerdict
	FilterBlocked
	FilterEligible
	FilterExcluded
	filterCount
)

// Label in French.
func (f Filter) Label() string {
	return [...]string{i18n.FilterAll, i18n.FilterAdmitted, i18n.FilterNotAdmitted, i18n.FilterNoVerdict,
		i18n.FilterBlocked, i18n.FilterEligible, i18n.FilterExcluded}[f]
}

func (f Filter) keep(r *domain.Row) bool {
	switch f {
	case FilterAdmitted:
		return r.Verdict == domain.Admitted
	case FilterNotAdmitted:
		return r.Verdict == domain.NotAdmitted
	case FilterNoVerdict:
		return r.Verdict == domain.NoVerdict
	case FilterBlocked:
		return len(r.Blockings) > 0
	case FilterEligible:
		return r.Eligible
	case FilterExcluded:
		return !r.Eligible
	}
	return true
}

const batchMax = 512

// Model is the preview.
type Model struct {
	c      *common.Common
	id     int64
	req    domain.PreviewRequest
	ctx    context.Context
	cancel context.CancelFunc
	spin   spinner.Model

	loading bool
	started bool
	readAt  time.Time // when the engine started reading Apogée
	events  <-chan domain.PreviewEvent
	total   int
	rows    []domain.Row
	keys    []string         // folded "name first names code" of each row, for search
	names   []common.NameKey // French collation key of each row
	order   []int            // indices of rows in name order
	view    []int            // indices of rows shown
	totals  domain.PreviewTotals
	err     error // fatal: the request was refused
	stopErr error // the stream stopped early

	filter Filter
	search common.Input  // the search (/): focused while typing, kept after Entrée
	folded string        // the search, folded once per change
	moved  bool          // the manager moved the cursor: it follows its row
	rec    common.Detail // the full record of the row (Entrée, d)
	cur    common.Table
	width  int
	height int
}

// New makes the preview of req; Init starts the stream.
func New(c *common.Common, req domain.PreviewRequest) *Model {
	ctx, cancel := context.WithCancel(c.Ctx)
	search := c.NewInput(i18n.PrevSearchHolder, 80)
	search.Blur()
	m := &Model{c: c, id: c.NextID(), req: req, ctx: ctx, cancel: cancel, loading: true,
		spin: spinner.New(spinner.WithSpinner(spinner.MiniDot)), search: search, cur: common.NewTable(columns(c.TestMode))}
	m.cur.Pad = true
	return m
}

// NewWithRows makes a finished preview over rows (benchmarks, tests).
func NewWithRows(c *common.Common, req domain.PreviewRequest, rows []domain.Row) *Model {
	m := New(c, req)
	m.loading, m.started = false, true
	m.total = len(rows)
	m.addRows(rows)
	m.finish()
	return m
}

// Title names the screen.
func (m *Model) Title() string { return i18n.ScreenPreview }

// Busy: still loading.
func (m *Model) Busy() bool { return m.loading }

// Capturing: typing a search.
func (m *Model) Capturing() bool { return m.search.Focused() }

// Close stops the stream when the screen is left.
func (m *Model) Close() { m.cancel() }

// Rows is the number of rows read.
func (m *Model) Rows() int { return len(m.rows) }

// Init starts the preview.
func (m *Model) Init() tea.Cmd {
	c, id, ctx, req := m.c, m.id, m.ctx, m.req
	return tea.Batch(m.spin.Tick, func() tea.Msg {
		events, err := c.Engine.Preview(ctx, c.User, req)
		return StartedMsg{ID: id, Events: events, Err: err}
	})
}

// waitCmd reads the next events: it blocks for one, then takes what is ready.
func waitCmd(id int64, ch <-chan domain.PreviewEvent) tea.Cmd {
	return func() tea.Msg {
		ev, ok := <-ch
		if !ok {
			return EventsMsg{ID: id, Closed: true}
		}
		evs := []domain.PreviewEvent{ev}
		for len(evs) < batchMax {
			select {
			case ev, ok := <-ch:
				if !ok {
					return EventsMsg{ID: id, Events: evs, Closed: true}
				}
				evs = append(evs, ev)
			default:
				return EventsMsg{ID: id, Events: evs}
			}
		}
		return EventsMsg{ID: id, Events: evs}
	}
}

// SetSize gives the room.
func (m *Model) SetSize(w, h int) {
	m.width, m.height = w, h
	m.resize()
}

func (m *Model) resize() {
	m.cur.SetWidth(m.width)
	m.cur.SetHeight(m.height - 4)
	m.rec.SetSize(m.width, m.height)
}

// addRows takes rows as they stream in: each takes its place in the French name
// order at once (the cursor stays on its row), so nothing moves when the stream ends.
func (m *Model) addRows(rows []domain.Row) {
	added := make([]int, 0, len(rows))
	for _, r := range rows {
		m.rows = append(m.rows, r)
		m.keys = append(m.keys, common.Fold(r.Student.LastName+" "+r.Student.FirstNames()+" "+r.Student.Code))
		m.names = append(m.names, common.KeyOf(r.Student))
		m.totals.Add(r)
		added = append(added, len(m.rows)-1)
	}
	m.order = common.MergeByName(m.order, added, m.names)
	m.refilter()
}

func (m *Model) match(i int) bool {
	if !m.filter.keep(&m.rows[i]) {
		return false
	}
	return m.folded == "" || strings.Contains(m.keys[i], m.folded)
}

// refilter rebuilds the rows shown, in name order; once the manager moved the
// cursor, it stays on its row when that row is still shown (else it stays on top).
func (m *Model) refilter() {
	sel := -1
	if m.moved && m.cur.Pos < len(m.view) {
		sel = m.view[m.cur.Pos]
	}
	m.folded = ""
	if v := m.search.Value(); v != "" {
		m.folded = common.Fold(v)
	}
	m.view = m.view[:0]
	pos := -1
	for _, i := range m.order {
		if m.match(i) {
			if i == sel {
				pos = len(m.view)
			}
			m.view = append(m.view, i)
		}
	}
	m.cur.SetLen(len(m.view))
	if pos >= 0 && pos != m.cur.Pos {
		m.cur.Move(pos - m.cur.Pos)
	}
}

// finish: everything is in (and already in order).
func (m *Model) finish() {
	m.loading = false
	m.refilter()
}

// Update handles the stream and the keys.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case spinner.TickMsg:
		if m.loading {
			var cmd tea.Cmd
			m.spin, cmd = m.spin.Update(msg)
			return m, cmd
		}
	case StartedMsg:
		if msg.ID != m.id {
			return m, nil
		}
		if msg.Err != nil {
			m.loading, m.err = false, msg.Err
			return m, nil
		}
		m.started, m.events, m.readAt = true, msg.Events, m.c.Clock.Now()
		return m, waitCmd(m.id, m.events)
	case EventsMsg:
		if msg.ID != m.id {
			return m, nil
		}
		var rows []domain.Row
		for _, ev := range msg.Events {
			switch {
			case ev.Row != nil:
				rows = append(rows, *ev.Row)
			case ev.Done:
				if ev.Err != nil && m.ctx.Err() == nil {
					m.stopErr = ev.Err
				}
			default:
				m.total, m.req.VDI, m.req.VETs = ev.Total, ev.VDI, ev.VETs
			}
		}
		m.addRows(rows)
		if msg.Closed {
			m.finish()
			return m, nil
		}
		return m, waitCmd(m.id, m.events) // re-armed until the stream closes
	case tea.KeyMsg:
		return m, m.key(msg)
	}
	return m, nil
}

func (m *Model) key(msg tea.KeyMsg) tea.Cmd {
	km := m.c.KeyMap
	if m.search.Focused() {
		switch msg.Type {
		case tea.KeyEnter:
			m.search.Blur()
		case tea.KeyEsc:
			m.search.Blur()
			m.search.SetValue("")
			m.refilter()
		case tea.KeyCtrlU: // the whole search, wherever the cursor is
			m.search.SetValue("")
			m.refilter()
		case tea.KeyUp, tea.KeyDown, tea.KeyPgUp, tea.KeyPgDown:
			m.cur.HandleKey(msg, km)
		default:
			changed, cmd := m.search.Update(msg)
			if changed {
				m.refilter()
			}
			return cmd
		}
		return nil
	}
	if m.rec.HandleKey(msg, km) {
		return nil
	}
	if key.Matches(msg, km.Back) {
		if m.search.Value() != "" {
			m.search.SetValue("")
			m.refilter()
			return nil
		}
		return common.Back
	}
	if m.err != nil {
		if key.Matches(msg, km.Refresh) {
			m.err, m.loading = nil, true
			m.id = m.c.NextID()
			return m.Init()
		}
		return nil
	}
	if m.cur.HandleKey(msg, km) {
		m.moved = true
		return nil
	}
	if key.Matches(msg, km.Refresh) && !m.loading {
		return m.restart()
	}
	switch {
	case key.Matches(msg, km.Filter):
		m.filter = (m.filter + 1) % filterCount
		m.refilter()
	case key.Matches(msg, km.Search):
		m.search.CursorEnd()
		return m.search.Focus()
	case key.Matches(msg, km.Detail), key.Matches(msg, km.Enter):
		if len(m.view) > 0 {
			r := &m.rows[m.view[m.cur.Pos]]
			m.rec.Show(fmt.Sprintf(i18n.DetTitleStudent, r.Student.FullName()), common.RowFields(r))
		}
	case key.Matches(msg, km.Export):
		return m.exportCmd()
	case key.Matches(msg, km.Launch):
		if m.loading {
			return nil
		}
		if m.stopErr != nil { // the counts are partial: the confirmation would be wrong
			return common.StatusCmd(i18n.PrevIncomplete)
		}
		if m.totals.Eligible == 0 {
			return common.StatusCmd(i18n.PrevNoEligible)
		}
		req, t, rows, at := m.req, m.totals, slices.Clone(m.rows), m.readAt
		return func() tea.Msg { return LaunchMsg{Request: req, Totals: t, Rows: rows, At: at} }
	}
	return nil
}

// restart reads the students again (r), keeping the filter, the search and the pane:
// after an interrupted stream, or to see Apogée's latest.
func (m *Model) restart() tea.Cmd {
	m.loading, m.started, m.stopErr = true, false, nil
	m.events, m.total, m.totals = nil, 0, domain.PreviewTotals{}
	m.rows, m.keys, m.view, m.names, m.order = nil, nil, nil, nil, nil
	m.cur.SetLen(0)
	m.id = m.c.NextID()
	return m.Init()
}

func (m *Model) exportCmd() tea.Cmd {
	rows := make([]domain.Row, len(m.view))
	for i, k := range m.view {
		rows[i] = m.rows[k]
	}
	base := fmt.Sprintf("apercu-%s-%s-%s", m.req.VDI.Dip, m.req.VDI.Version, m.req.Year)
	dir := m.c.ExportDir
	if m.c.MailExport != nil { // over SSH: a file on the server is out of the manager's reach
		c := m.c
		return func() tea.Msg {
			what := m.req.VDI.Key()
			if m.req.VDI.Label != "" {
				what = m.req.VDI.Label + " (" + what + ")"
			}
			to, err := c.MailExport(c.Ctx, c.User, common.Export{Name: base + ".csv", What: what,
				YearLabel: domain.AcademicYearLabel(m.req.Year), Rows: rows})
			if err != nil {
				return common.StatusMsg{Text: fmt.Sprintf(i18n.StatusMailFailed, i18n.French(err.Error())), Err: true}
			}
			return common.StatusMsg{Text: fmt.Sprintf(i18n.StatusMailed, i18n.Plural(len(rows), i18n.NounLine), to)}
		}
	}
	if dir == "" {
		return common.StatusCmd(i18n.StatusExportNoDir)
	}
	return func() tea.Msg {
		path, err := export.CreatePreviewCSV(dir, base, rows)
		if err != nil {
			// Not ErrorMsg: its generic advice (r) would restart the preview.
			return common.StatusMsg{Text: fmt.Sprintf(i18n.StatusExportFailed, dir, i18n.French(err.Error())), Err: true}
		}
		return common.StatusMsg{Text: fmt.Sprintf(i18n.StatusSaved, i18n.Plural(len(rows), i18n.NounLine), path)}
	}
}

// ShortHelp is the help bar.
func (m *Model) ShortHelp() []key.Binding {
	km := m.c.KeyMap
	if m.rec.IsOpen() {
		return m.rec.ShortHelp(km)
	}
	if m.search.Focused() { // the field's keys: q and ? are letters here
		enter, esc := km.Enter, km.Back
		enter.SetHelp(i18n.KeyNameEnter, i18n.KeyValidate)
		esc.SetHelp(i18n.KeyNameEsc, i18n.KeyCancel)
		return []key.Binding{enter, esc, km.Clear}
	}
	if m.err != nil {
		return []key.Binding{keymap.Labelled(km.Refresh, i18n.KeyRetry), km.Back}
	}
	var keys []key.Binding
	if !m.loading { // the primary action, once the counts are known
		keys = append(keys, km.Launch)
	}
	if len(m.view) > 0 {
		keys = append(keys, km.Detail)
	}
	keys = append(keys, km.Filter, km.Search)
	if len(m.view) > 0 {
		keys = append(keys, km.Export)
	}
	if !m.loading {
		keys = append(keys, keymap.Labelled(km.Refresh, i18n.KeyReread))
	}
	return append(keys, m.backKey())
}

// backKey: Échap clears the search first, then leaves.
func (m *Model) backKey() key.Binding {
	if m.search.Value() != "" {
		return keymap.Labelled(m.c.KeyMap.Back, i18n.KeyClearSearch)
	}
	return m.c.KeyMap.Back
}

// FullHelp is the full help.
func (m *Model) FullHelp() [][]key.Binding { return [][]key.Binding{m.ShortHelp()} }

// HelpSections is the full help by sections: only what works now.
func (m *Model) HelpSections() []common.HelpSection {
	km := m.c.KeyMap
	if m.rec.IsOpen() {
		return m.rec.HelpSections(km)
	}
	if m.search.Focused() {
		return common.Sections([]key.Binding{km.Up, km.Down, km.PageUp, km.PageDown}, nil, m.ShortHelp())
	}
	var nav, actions []key.Binding
	if len(m.view) > 0 {
		nav = append(km.Navigation(), km.Detail)
	}
	for _, b := range m.ShortHelp() {
		switch b.Help().Desc {
		case i18n.KeyFilter, i18n.KeySearch, i18n.KeyDetail:
		default:
			actions = append(actions, b)
		}
	}
	return common.Sections(nav, actions, []key.Binding{km.Filter, km.Search})
}

// Legend explains the marks of the table.
func (m *Model) Legend() []string {
	if m.rec.IsOpen() || m.search.Focused() {
		return nil
	}
	return []string{i18n.LegendCursor, i18n.LegendEligible, i18n.LegendApogeeError}
}
