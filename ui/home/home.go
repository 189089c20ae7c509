// Package home is the first screen: the user's campaigns, newest first.
package home

import (
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"hypercerts/domain"
	"hypercerts/ui/common"
	"hypercerts/ui/i18n"
	"hypercerts/ui/keymap"
)

// OpenMsg asks the root to open a campaign.
type OpenMsg struct{ ID string }

// Navigation marks OpenMsg (common.Navigation: the root guards it against double presses).
func (OpenMsg) Navigation() {}

// NewMsg asks the root to start the new-campaign wizard.
type NewMsg struct{}

// Navigation marks NewMsg (common.Navigation: the root guards it against double presses).
func (NewMsg) Navigation() {}

// HubEEMsg asks the root to open the HubEE screen.
type HubEEMsg struct{}

// Navigation marks HubEEMsg (common.Navigation: the root guards it against double presses).
func (HubEEMsg) Navigation() {}

// LoadedMsg carries the campaigns.
type LoadedMsg struct {
	ID        int64
	Campaigns []domain.Campaign
	Err       error
}

// tickMsg refreshes the list while a campaign is running.
type tickMsg struct{ ID int64 }

// Model is the campaign list.
type Model struct {
	c       *common.Common
	id      int64
	loading bool
	list    []domain.Campaign
	err     error
	cur     common.Table
	ticking bool // a refresh tick is pending: one chain of ticks at a time
	width   int
	height  int
}

// New makes the campaign list.
func New(c *common.Common) *Model {
	return &Model{c: c, id: c.NextID(), loading: true, cur: common.NewTable(columns)}
}

// Title names the screen.
func (m *Model) Title() string { return i18n.ScreenHome }

// Init loads the campaigns.
func (m *Model) Init() tea.Cmd { return loadCmd(m.c, m.id) }

// Refresh reloads (when the screen comes back on top).
func (m *Model) Refresh() tea.Cmd {
	m.loading = true
	return loadCmd(m.c, m.id)
}

// Busy: loading.
func (m *Model) Busy() bool { return m.loading }

func loadCmd(c *common.Common, id int64) tea.Cmd {
	return func() tea.Msg {
		list, err := c.Engine.Campaigns(c.Ctx, c.User)
		return LoadedMsg{ID: id, Campaigns: list, Err: err}
	}
}

func (m *Model) tick() tea.Cmd {
	id := m.id
	return tea.Tick(time.Second, func(time.Time) tea.Msg { return tickMsg{ID: id} })
}

// SetSize gives the room.
func (m *Model) SetSize(w, h int) {
	m.width, m.height = w, h
	m.cur.SetWidth(w)
	m.cur.SetHeight(h - 3)
}

// Update handles keys and results.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	km := m.c.KeyMap
	switch msg := msg.(type) {
	case LoadedMsg:
		if msg.ID != m.id {
			return m, nil
		}
		m.loading = false
		m.err = msg.Err
		if msg.Err == nil {
			var sel string // the cursor stays on its campaign when the list moves under it
			if m.cur.Pos < len(m.list) {
				sel = m.list[m.cur.Pos].ID
			}
			m.list = msg.Campaigns
			m.cur.SetLen(len(m.list))
			for i, c := range m.list {
				if c.ID == sel && i != m.cur.Pos {
					m.cur.Move(i - m.cur.Pos)
					break
				}
			}
			for _, c := range m.list {
				if c.State == domain.CampaignRunning && !m.ticking {
					// A load while a tick is pending (r, coming back on top) must not
					// start a second chain: the chains would add up, one load each.
					m.ticking = true
					return m, m.tick()
				}
			}
		}
	case tickMsg:
		if msg.ID == m.id {
			m.ticking = false
			if !m.loading { // else the load in flight re-arms the tick
				return m, loadCmd(m.c, m.id)
			}
		}
	case tea.KeyMsg:
		if m.cur.HandleKey(msg, km) {
			return m, nil
		}
		switch {
		case key.Matches(msg, km.Refresh):
			return m, m.Refresh()
		case key.Matches(msg, km.New):
			return m, func() tea.Msg { return NewMsg{} }
		case key.Matches(msg, km.HubEE):
			return m, func() tea.Msg { return HubEEMsg{} }
		case key.Matches(msg, km.Enter):
			if m.err == nil && len(m.list) > 0 {
				id := m.list[m.cur.Pos].ID
				return m, func() tea.Msg { return OpenMsg{ID: id} }
			}
		}
	}
	return m, nil
}

// ShortHelp is the help bar.
func (m *Model) ShortHelp() []key.Binding {
	km := m.c.KeyMap
	// No ↑/↓ here (they are in the full help): the bar keeps room for h at 80 columns.
	if len(m.list) == 0 { // nothing to open: creating one is the primary action
		return []key.Binding{km.New, km.HubEE, km.Refresh}
	}
	return []key.Binding{keymap.Labelled(km.Enter, i18n.KeyOpen), km.New, km.HubEE, km.Refresh}
}

// FullHelp is the full help.
func (m *Model) FullHelp() [][]key.Binding {
	return [][]key.Binding{m.ShortHelp()}
}

// HelpSections is the full help by sections.
func (m *Model) HelpSections() []common.HelpSection {
	km := m.c.KeyMap
	var nav []key.Binding
	if len(m.list) > 1 {
		nav = km.Navigation()
	}
	return common.Sections(nav, m.ShortHelp(), nil)
}

// Legend explains the marks of the list.
func (m *Model) Legend() []string {
	if len(m.list) == 0 {
		return nil
	}
	return []string{i18n.LegendCursor, i18n.LegendTestMode}
}

// columns of the list; when narrow (below 99 cells) the component, the failures and
// the progress are left out (the campaign screen has them) so the VDI and the state
// stay readable.
var columns = []common.Column{
	{Title: i18n.HomeColYear, Width: 9},
	{Title: i18n.HomeColComp, Width: 5, Priority: 1},
	{Title: i18n.HomeColVDI, Width: 10, Flex: 1},
	{Title: i18n.HomeColMode, Width: 9},
	{Title: i18n.HomeColState, Width: 20},
	{Title: i18n.HomeColStud, Width: 5},
	{Title: i18n.HomeColSent, Width: 7},
	{Title: i18n.HomeColFail, Width: 6, Priority: 1},
	{Title: i18n.HomeColProg, Width: 7, Priority: 1},
	{Title: i18n.HomeColDate, Width: 10},
}

// View draws the list.
func (m *Model) View() string {
	s := m.c.Styles
	if m.err != nil {
		return m.c.ErrorView(m.err, m.width)
	}
	if m.loading && m.list == nil {
		return s.Muted.Render(i18n.Loading)
	}
	if len(m.list) == 0 {
		return i18n.HomeEmpty
	}
	count := i18n.Plural(len(m.list), i18n.NounCampaign)
	return s.Muted.Render(count) + "\n" + m.cur.View(s, func(i int) common.Row {
		c := m.list[i]
		r := common.Row{Cells: cells(c)}
		if c.State == domain.CampaignFailed {
			r.Style = &s.Bad
		}
		return r
	})
}

func cells(c domain.Campaign) []string {
	total := 0
	for _, n := range c.Counts {
		total += n
	}
	by := domain.CountOutcomes(c.Counts)
	done, excluded := by[domain.OutcomeServed], by[domain.OutcomeExcluded]
	failed := by[domain.OutcomeFailed] + by[domain.OutcomeClosed]
	prog := "—"
	if todo := total - excluded; todo > 0 {
		prog = i18n.Percent(float64(done+failed) / float64(todo))
	}
	vdi := c.VDI.Key()
	if c.VDI.Label != "" {
		vdi += " " + c.VDI.Label
	}
	mode := c.Mode.Label()
	if c.TestMode {
		mode += "*"
	}
	return []string{domain.AcademicYearLabel(c.Year), c.Component.Code, vdi, mode, c.State.Label(),
		i18n.Int(total), i18n.Int(done), i18n.Int(failed), prog, i18n.Day(c.CreatedAt)}
}
