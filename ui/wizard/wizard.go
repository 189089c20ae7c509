// Package wizard is the new-campaign wizard: year → component → VDI → VETs, with a
// breadcrumb. Esc goes back one step and keeps every choice already made.
package wizard

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/spinner"
	tea "github.com/charmbracelet/bubbletea"

	"hypercerts/domain"
	"hypercerts/ui/common"
	"hypercerts/ui/i18n"
	"hypercerts/ui/keymap"
)

// Step is a step of the wizard.
type Step int

const (
	StepYear Step = iota
	StepComponent
	StepVDI
	StepVETs
)

// DoneMsg: the user chose everything; the root opens the preview.
type DoneMsg struct{ Request domain.PreviewRequest }

// Navigation marks DoneMsg (common.Navigation: the root guards it against double presses).
func (DoneMsg) Navigation() {}

// ComponentsMsg carries the user's components (R02).
type ComponentsMsg struct {
	ID         int64
	Components []domain.Component
	Err        error
}

// YearsMsg carries the open years.
type YearsMsg struct {
	ID    int64
	Years []domain.Year
	Err   error
}

// VDIsMsg carries the VDIs of a year and component; Key says for which.
type VDIsMsg struct {
	ID   int64
	Key  string
	VDIs []domain.VDI
	Err  error
}

// VETsMsg carries the graduating VETs of a VDI; Key says for which.
type VETsMsg struct {
	ID   int64
	Key  string
	VETs []domain.VET
	Err  error
}

// Model is the wizard.
type Model struct {
	c       *common.Common
	id      int64
	step    Step
	spin    spinner.Model
	pending int // requests in flight
	err     error
	width   int
	height  int

	comps     []domain.Component
	compsDone bool
	years     []domain.Year
	yearCur   common.Table
	compCur   common.Table

	vdiKey   string // year|component the VDIs are for
	vdis     []domain.VDI
	filter   common.Input // type to filter the VDIs by code or label
	matches  []int
	vdiCur   common.Table
	vdiReady bool

	vetKey   string // year|component|vdi the VETs are for
	vets     []domain.VET
	selected []bool
	vetCur   common.Table
	vetReady bool
	note     string
}

// New makes the wizard.
func New(c *common.Common) *Model {
	sp := spinner.New(spinner.WithSpinner(spinner.MiniDot))
	m := &Model{c: c, id: c.NextID(), spin: sp, pending: 2, filter: c.NewInput(i18n.WizFilterHolder, 80)}
	for _, t := range []*common.Table{&m.yearCur, &m.compCur, &m.vdiCur, &m.vetCur} {
		*t = common.NewTable([]common.Column{{Width: 1, Flex: 1}}) // one choice a line
		t.NoHeader = true
	}
	return m
}

// Title names the screen.
func (m *Model) Title() string { return i18n.ScreenWizard }

// Step is the current step.
func (m *Model) Step() Step { return m.step }

// Init loads the components and the years.
func (m *Model) Init() tea.Cmd {
	c, id := m.c, m.id
	return tea.Batch(m.spin.Tick,
		func() tea.Msg {
			list, err := c.Engine.Components(c.Ctx, c.User)
			return ComponentsMsg{ID: id, Components: list, Err: err}
		},
		func() tea.Msg {
			list, err := c.Engine.Years(c.Ctx, c.User)
			return YearsMsg{ID: id, Years: list, Err: err}
		})
}

// Busy: requests in flight.
func (m *Model) Busy() bool { return m.pending > 0 }

// Capturing: the VDI step takes letters for its filter (not while it shows an error).
func (m *Model) Capturing() bool { return m.step == StepVDI && m.err == nil }

// SetSize gives the room.
func (m *Model) SetSize(w, h int) {
	m.width, m.height = w, h
	lines := h - 4
	for _, t := range []*common.Table{&m.yearCur, &m.compCur, &m.vdiCur, &m.vetCur} {
		t.SetWidth(w)
	}
	m.yearCur.SetHeight(lines)
	m.compCur.SetHeight(lines)
	m.vdiCur.SetHeight(lines - 1)
	m.vetCur.SetHeight(lines - 1)
}

func (m *Model) year() domain.Year           { return m.years[m.yearCur.Pos] }
func (m *Model) component() domain.Component { return m.comps[m.compCur.Pos] }
func (m *Model) vdi() domain.VDI             { return m.vdis[m.matches[m.vdiCur.Pos]] }

func (m *Model) loadVDIs() tea.Cmd {
	year, comp := m.year().Code, m.component().Code
	k := year + "|" + comp
	if k == m.vdiKey && m.vdiReady {
		return nil
	}
	m.vdiKey, m.vdiReady, m.vdis, m.matches = k, false, nil, nil
	m.pending++
	c, id := m.c, m.id
	return tea.Batch(m.spin.Tick, func() tea.Msg {
		list, err := c.Engine.VDIs(c.Ctx, c.User, year, comp)
		return VDIsMsg{ID: id, Key: k, VDIs: list, Err: err}
	})
}

func (m *Model) loadVETs() tea.Cmd {
	year, comp, vdi := m.year().Code, m.component().Code, m.vdi()
	k := year + "|" + comp + "|" + vdi.Key()
	if k == m.vetKey && m.vetReady {
		return nil
	}
	m.vetKey, m.vetReady, m.vets, m.selected = k, false, nil, nil
	m.pending++
	c, id := m.c, m.id
	return tea.Batch(m.spin.Tick, func() tea.Msg {
		list, err := c.Engine.VETs(c.Ctx, c.User, year, comp, vdi)
		return VETsMsg{ID: id, Key: k, VETs: list, Err: err}
	})
}

func (m *Model) refilter() {
	m.matches = m.matches[:0]
	f := fold(m.filter.Value())
	for i, v := range m.vdis {
		if f == "" || strings.Contains(fold(v.Key()+" "+v.Label), f) {
			m.matches = append(m.matches, i)
		}
	}
	m.vdiCur.SetLen(len(m.matches))
}

// Update handles keys and results.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case spinner.TickMsg:
		if m.pending > 0 {
			var cmd tea.Cmd
			m.spin, cmd = m.spin.Update(msg)
			return m, cmd
		}
	case ComponentsMsg:
		if msg.ID == m.id {
			m.pending--
			m.comps, m.compsDone = msg.Components, true
			m.compCur.SetLen(len(m.comps))
			if msg.Err != nil && !m.noRights() {
				m.err = msg.Err
			}
		}
	case YearsMsg:
		if msg.ID == m.id {
			m.pending--
			m.years = msg.Years
			m.yearCur.SetLen(len(m.years))
			pos, _ := DeliberatedYear(m.years)
			m.yearCur.Move(pos - m.yearCur.Pos)
			if msg.Err != nil && !errorsIsForbidden(msg.Err) {
				m.err = msg.Err
			}
		}
	case VDIsMsg:
		if msg.ID == m.id {
			m.pending-- // every answer ends a request, even one for a choice since changed
		}
		if msg.ID == m.id && msg.Key == m.vdiKey {
			m.err, m.vdis, m.vdiReady = msg.Err, msg.VDIs, msg.Err == nil
			m.refilter()
		}
	case VETsMsg:
		if msg.ID == m.id {
			m.pending--
		}
		if msg.ID == m.id && msg.Key == m.vetKey {
			m.err, m.vets, m.vetReady = msg.Err, msg.VETs, msg.Err == nil
			m.selected = make([]bool, len(m.vets))
			for i := range m.selected {
				m.selected[i] = true
			}
			m.vetCur.SetLen(len(m.vets))
		}
	case tea.KeyMsg:
		return m, m.key(msg)
	}
	return m, nil
}

func errorsIsForbidden(err error) bool {
	return err != nil && strings.Contains(err.Error(), "TRAREF10")
}

func (m *Model) noRights() bool { return m.compsDone && len(m.comps) == 0 }

func (m *Model) key(msg tea.KeyMsg) tea.Cmd {
	km := m.c.KeyMap
	m.note = ""
	if key.Matches(msg, km.Back) {
		m.err = nil
		if m.step == StepYear || m.noRights() {
			return common.Back
		}
		m.step--
		return nil
	}
	if m.noRights() || m.pending > 0 && m.stepLoading() {
		return nil
	}
	if m.err != nil {
		if key.Matches(msg, km.Refresh) && m.step != StepVDI {
			m.err = nil
			switch m.step {
			case StepYear, StepComponent:
				m.pending += 2 // an answer still on its way also counts itself down
				return m.Init()
			case StepVETs:
				m.vetReady = false
				return m.loadVETs()
			}
		}
		if m.step != StepVDI {
			return nil
		}
	}
	switch m.step {
	case StepYear:
		if m.yearCur.HandleKey(msg, km) || len(m.years) == 0 {
			return nil
		}
		if key.Matches(msg, km.Enter) {
			m.step = StepComponent
		}
	case StepComponent:
		if m.compCur.HandleKey(msg, km) {
			return nil
		}
		if key.Matches(msg, km.Enter) {
			m.step = StepVDI
			return m.loadVDIs()
		}
	case StepVDI:
		return m.vdiKeys(msg)
	case StepVETs:
		if m.vetCur.HandleKey(msg, km) || len(m.vets) == 0 {
			return nil
		}
		switch {
		case key.Matches(msg, km.Toggle):
			m.selected[m.vetCur.Pos] = !m.selected[m.vetCur.Pos]
		case key.Matches(msg, km.ToggleAll):
			all := m.countSelected() < len(m.vets)
			for i := range m.selected {
				m.selected[i] = all
			}
		case key.Matches(msg, km.Enter):
			if m.countSelected() == 0 {
				m.note = i18n.WizNeedOneVET
				return nil
			}
			req := m.Request()
			return func() tea.Msg { return DoneMsg{Request: req} }
		}
	}
	return nil
}

// stepLoading: the current step waits for its list.
func (m *Model) stepLoading() bool {
	switch m.step {
	case StepYear, StepComponent:
		return !m.compsDone || m.years == nil && m.err == nil
	case StepVDI:
		return !m.vdiReady && m.err == nil
	case StepVETs:
		return !m.vetReady && m.err == nil
	}
	return false
}

func (m *Model) vdiKeys(msg tea.KeyMsg) tea.Cmd {
	km := m.c.KeyMap
	if m.err != nil { // the error is shown, not the filter: r retries as it says
		if key.Matches(msg, km.Refresh) {
			m.err, m.vdiReady = nil, false
			return m.loadVDIs()
		}
		return nil
	}
	switch msg.Type {
	case tea.KeyUp, tea.KeyDown, tea.KeyPgUp, tea.KeyPgDown, tea.KeyHome, tea.KeyEnd:
		m.vdiCur.HandleKey(msg, km) // the list's keys; the rest goes to the field
		return nil
	case tea.KeyCtrlU: // the whole filter, wherever the cursor is (textinput: before it)
		m.filter.SetValue("")
		m.refilter()
		return nil
	case tea.KeyEnter:
		if len(m.matches) == 0 {
			return nil
		}
		m.step = StepVETs
		return m.loadVETs()
	}
	changed, cmd := m.filter.Update(msg)
	if changed {
		m.refilter()
	}
	return cmd
}

func (m *Model) countSelected() int {
	n := 0
	for _, s := range m.selected {
		if s {
			n++
		}
	}
	return n
}

// Request is what the wizard has chosen so far (complete at the last step).
func (m *Model) Request() domain.PreviewRequest {
	req := domain.PreviewRequest{Year: m.year().Code, Component: m.component().Code, VDI: m.vdi()}
	for i, v := range m.vets {
		if m.selected[i] {
			req.VETs = append(req.VETs, v)
		}
	}
	return req
}

// ShortHelp is the help bar.
func (m *Model) ShortHelp() []key.Binding {
	km := m.c.KeyMap
	if m.err != nil {
		return []key.Binding{keymap.Labelled(km.Refresh, i18n.KeyRetry), km.Back}
	}
	switch m.step {
	case StepVDI: // typing filters: the arrows move, letters go to the filter
		up, down := km.Up, km.Down
		up.SetHelp("↑", i18n.KeyUp)
		down.SetHelp("↓", i18n.KeyDown)
		return []key.Binding{km.Enter, km.Back, up, down, keymap.Labelled(km.Clear, i18n.KeyClearFilter)}
	case StepVETs:
		return []key.Binding{keymap.Labelled(km.Enter, i18n.KeyPreview), km.Toggle, km.ToggleAll, km.Back}
	}
	return []key.Binding{km.Enter, km.Back}
}

// FullHelp is the full help.
func (m *Model) FullHelp() [][]key.Binding { return [][]key.Binding{m.ShortHelp()} }

// HelpSections is the full help by sections.
func (m *Model) HelpSections() []common.HelpSection {
	km := m.c.KeyMap
	if m.err != nil {
		return common.Sections(nil, m.ShortHelp(), nil)
	}
	nav := km.Navigation()
	if m.step == StepVDI { // g, G, j, k are letters of the filter here
		up, down := km.Up, km.Down
		up.SetHelp("↑", i18n.KeyUp)
		down.SetHelp("↓", i18n.KeyDown)
		nav = []key.Binding{up, down, km.PageUp, km.PageDown}
		return common.Sections(nav, []key.Binding{km.Enter, km.Back}, []key.Binding{keymap.Labelled(km.Clear, i18n.KeyClearFilter)})
	}
	return common.Sections(nav, m.ShortHelp(), nil)
}

// Legend explains the marks.
func (m *Model) Legend() []string {
	if m.step == StepVETs {
		return []string{i18n.LegendChecked}
	}
	return nil
}

// View draws the breadcrumb and the current step.
func (m *Model) View() string {
	s := m.c.Styles
	if m.noRights() {
		return s.Error.Render(i18n.WizNoRights) + "\n\n" +
			common.Wrap(fmt.Sprintf(i18n.WizNoRightsWhy, m.c.User.Code), m.width) + "\n\n" +
			common.Wrap(i18n.WhatToDo+i18n.WizNoRightsWhat, m.width)
	}
	var b strings.Builder
	b.WriteString(m.breadcrumb() + "\n\n")
	if m.err != nil {
		b.WriteString(m.c.ErrorView(m.err, m.width))
		return b.String()
	}
	if m.stepLoading() {
		b.WriteString(m.spin.View() + " " + i18n.Loading)
		return b.String()
	}
	switch m.step {
	case StepYear:
		b.WriteString(i18n.WizChooseYear + "\n")
		if len(m.years) == 0 {
			b.WriteString(i18n.WizNoYear)
		}
		b.WriteString(m.list(&m.yearCur, func(i int) string {
			return domain.AcademicYearLabel(m.years[i].Code)
		}))
		if why := m.yearWhy(); why != "" {
			b.WriteString("\n" + s.Muted.Render(common.Wrap(why, m.width)))
		}
	case StepComponent:
		b.WriteString(i18n.WizChooseComponent + "\n")
		b.WriteString(m.list(&m.compCur, func(i int) string {
			return m.comps[i].Code + "  " + m.comps[i].Label
		}))
	case StepVDI:
		b.WriteString(i18n.WizChooseVDI + "\n")
		b.WriteString(i18n.WizFilter + m.filter.View() + "\n")
		switch {
		case len(m.vdis) == 0:
			b.WriteString(i18n.WizNoVDI)
		case len(m.matches) == 0:
			b.WriteString(fmt.Sprintf(i18n.WizNoMatch, m.filter.Value()))
		}
		b.WriteString(m.list(&m.vdiCur, func(i int) string {
			v := m.vdis[m.matches[i]]
			return common.Fit(v.Key(), 12) + " " + v.Label
		}))
	case StepVETs:
		b.WriteString(i18n.WizChooseVETs + "\n")
		if len(m.vets) == 0 {
			b.WriteString(i18n.WizNoVET)
			return b.String()
		}
		b.WriteString(m.list(&m.vetCur, func(i int) string {
			box := "[ ]"
			if m.selected[i] {
				box = "[x]"
			}
			return box + " " + common.Fit(m.vets[i].Key(), 12) + " " + m.vets[i].Label
		}))
		b.WriteString("\n")
		if m.note != "" {
			b.WriteString(s.Warn.Render(m.note))
		} else {
			b.WriteString(s.Muted.Render(fmt.Sprintf(i18n.WizSelected, i18n.Int(m.countSelected()), i18n.Int(len(m.vets)))))
		}
	}
	return strings.TrimRight(b.String(), "\n")
}

// list draws the choices of a step, the selected one marked « › ».
func (m *Model) list(t *common.Table, label func(i int) string) string {
	return t.View(m.c.Styles, func(i int) common.Row { return common.Row{Cells: []string{label(i)}} }) + "\n"
}

func (m *Model) breadcrumb() string {
	s := m.c.Styles
	type crumb struct {
		name, value string
	}
	crumbs := []crumb{{i18n.WizYear, ""}, {i18n.WizComponent, ""}, {i18n.WizVDI, ""}, {i18n.WizVETs, ""}}
	if len(m.years) > 0 && m.step > StepYear {
		crumbs[0].value = domain.AcademicYearLabel(m.year().Code)
	}
	if len(m.comps) > 0 && m.step > StepComponent {
		crumbs[1].value = m.component().Code
	}
	if m.step > StepVDI && len(m.matches) > 0 {
		crumbs[2].value = m.vdi().Key()
	}
	var parts []string
	for i, c := range crumbs {
		text := c.name
		if c.value != "" {
			text += " : " + c.value
		}
		switch {
		case Step(i) == m.step:
			parts = append(parts, s.CrumbHere.Render(text))
		case Step(i) < m.step:
			parts = append(parts, s.CrumbDone.Render(text))
		default:
			parts = append(parts, s.Crumb.Render(text))
		}
	}
	return strings.Join(parts, s.Crumb.Render(" › "))
}

// fold lowercases and strips French accents, for searching.
func fold(s string) string { return common.Fold(s) }

// DeliberatedYear is the position of the year to preselect: the newest open year for
// which Apogée holds deliberated admission results (domain.Year.Deliberated, from
// years.sql), not the newest open one, whose preview would have nothing to send. ok is
// false when no open year has any (the newest is preselected then). The calendar is not
// consulted: whether juries have sat is a fact of Apogée's data.
func DeliberatedYear(years []domain.Year) (pos int, ok bool) {
	for i, y := range years {
		if y.Deliberated {
			return i, true
		}
	}
	return 0, false
}

// yearWhy says why the preselected year is: the newest with deliberated results, and
// when newer ones are open, that theirs are not deliberated yet; or that no open year
// has any yet.
func (m *Model) yearWhy() string {
	if len(m.years) == 0 {
		return ""
	}
	i, ok := DeliberatedYear(m.years)
	if !ok {
		return fmt.Sprintf(i18n.WizYearNone, domain.AcademicYearLabel(m.years[0].Code))
	}
	why := fmt.Sprintf(i18n.WizYearWhy, domain.AcademicYearLabel(m.years[i].Code))
	if i > 0 {
		newer := domain.AcademicYearLabel(m.years[i-1].Code)
		if i > 1 {
			newer = domain.AcademicYearLabel(m.years[0].Code) + ", …, " + newer
		}
		why += " " + fmt.Sprintf(i18n.WizYearNewer, newer)
	}
	return why
}
