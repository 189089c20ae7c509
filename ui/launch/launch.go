// Package launch is the Lancement screen: a confirmation that says exactly what will
// happen, then the campaign's live progress. Leaving the screen does not stop the
// campaign: it is the engine's, and this screen only watches it.
package launch

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/progress"
	"github.com/charmbracelet/bubbles/spinner"
	tea "github.com/charmbracelet/bubbletea"

	"hypercerts/domain"
	"hypercerts/ui/common"
	"hypercerts/ui/i18n"
	"hypercerts/ui/keymap"
)

// Plan is what the preview said: the request and its counts. Mode is the delivery
// mode asked for (empty: the engine's, Settings().Mode).
type Plan struct {
	Request  domain.PreviewRequest
	Students int
	Eligible int
	Mode     domain.Mode
	// Rows are the preview's rows: the counts are recomputed from them by the engine
	// (domain.Plan, the computation the run applies) for the mode chosen here.
	Rows []domain.Row
	// IncludeServed: students an earlier campaign already served are included.
	IncludeServed bool
	// PreviewedAt is when the preview read Apogée (zero: no preview): a fresh one is
	// reused by the launch, which reads only the blockings again.
	PreviewedAt time.Time
}

// OpenCampaignMsg asks the root to open the campaign screen.
type OpenCampaignMsg struct{ ID string }

// Navigation marks OpenCampaignMsg (common.Navigation: the root guards it against double presses).
func (OpenCampaignMsg) Navigation() {}

// LaunchedMsg: the engine recorded the campaign (or refused it).
type LaunchedMsg struct {
	ID       int64
	Campaign domain.Campaign
	Err      error
}

type state int

const (
	stateConfirm state = iota
	statePreparing
	stateFollowing
	stateDone
	stateError
)

// Model is the launch screen.
type Model struct {
	c     *common.Common
	id    int64
	plan  Plan
	state state
	camp  domain.Campaign
	prog  domain.Progress
	err   error
	spin  spinner.Model
	bar   progress.Model
	ch    <-chan domain.Progress
	stop  func()
	modes []domain.Mode // the modes the engine can launch in
	lp    domain.LaunchPlan
	// testMode: the manager chose test mode here (t), the configuration did not.
	testMode bool
	width    int
	hgt      int
}

// New makes the confirmation of plan.
func New(c *common.Common, plan Plan) *Model {
	m := &Model{c: c, id: c.NextID(), plan: plan, spin: spinner.New(spinner.WithSpinner(spinner.MiniDot)),
		bar: progress.New(progress.WithSolidFill("2"), progress.WithoutPercentage())}
	m.modes = c.Engine.DeliveryModes()
	if m.plan.Mode == "" {
		m.plan.Mode = c.Engine.Settings().Mode
	}
	m.replan()
	return m
}

// replan asks the engine what launching the preview's rows in the chosen mode does
// (eligible, excluded, already served): the numbers the campaign will record. It reads
// the store's earlier campaigns of the VDI, a few milliseconds.
func (m *Model) replan() {
	if len(m.plan.Rows) == 0 {
		return
	}
	lp, err := m.c.Engine.Plan(m.c.Ctx, m.c.User, m.plan.Request, m.plan.Rows, m.plan.Mode, m.plan.IncludeServed)
	if err != nil {
		return // the counts of the preview stay; Launch says what is wrong
	}
	m.lp, m.plan.Students, m.plan.Eligible = lp, lp.Students, lp.Eligible
}

// scheduled: the campaign's students are served by the daemon's scheduled job.
func (m *Model) scheduled() bool {
	ch, ok := domain.ChannelOf(m.camp.Mode)
	return ok && domain.Scheduled(ch)
}

// Mode is the delivery mode the campaign will be launched in.
func (m *Model) Mode() domain.Mode { return m.plan.Mode }

// canToggle: both modes are possible, the manager chooses.
func (m *Model) canToggle() bool { return len(m.modes) > 1 }

func (m *Model) toggleMode() {
	for i, md := range m.modes {
		if md == m.plan.Mode {
			m.plan.Mode = m.modes[(i+1)%len(m.modes)]
			m.replan()
			return
		}
	}
	if len(m.modes) > 0 {
		m.plan.Mode = m.modes[0]
	}
	m.replan()
}

// Title names the screen.
func (m *Model) Title() string { return i18n.ScreenLaunch }

// Busy: the launch is being prepared (the engine reads Apogée again).
func (m *Model) Busy() bool { return m.state == statePreparing }

// Owns: id is this screen's (its watch).
func (m *Model) Owns(id int64) bool { return id == m.id }

// Close stops watching; the campaign goes on.
func (m *Model) Close() {
	if m.stop != nil {
		m.stop()
		m.stop = nil
	}
}

// Init waits for the confirmation.
func (m *Model) Init() tea.Cmd { return nil }

// SetSize gives the room.
func (m *Model) SetSize(w, h int) {
	m.width, m.hgt = w, h
	m.bar.Width = max(min(w-2, 70), 10)
}

func (m *Model) launchCmd() tea.Cmd {
	c, id, req, mode, test, include := m.c, m.id, m.plan.Request, m.plan.Mode, m.testMode, m.plan.IncludeServed
	var snap *domain.PreviewSnapshot
	if !m.plan.PreviewedAt.IsZero() {
		snap = &domain.PreviewSnapshot{Request: req, Rows: m.plan.Rows, At: m.plan.PreviewedAt}
	}
	return func() tea.Msg {
		camp, err := c.Engine.Launch(c.Ctx, c.User, req, domain.LaunchOptions{Mode: mode, TestMode: test, IncludeServed: include, Preview: snap})
		return LaunchedMsg{ID: id, Campaign: camp, Err: err}
	}
}

// Update handles the confirmation and the progress.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	km := m.c.KeyMap
	switch msg := msg.(type) {
	case spinner.TickMsg:
		if m.state == statePreparing {
			var cmd tea.Cmd
			m.spin, cmd = m.spin.Update(msg)
			return m, cmd
		}
	case LaunchedMsg:
		if msg.ID != m.id {
			return m, nil
		}
		m.camp = msg.Campaign
		if msg.Err != nil {
			m.state, m.err = stateError, msg.Err
			return m, nil
		}
		m.state = stateFollowing
		m.c.Bus.Changed() // the other sessions' lists show it at once
		return m, common.WatchCmd(m.c, m.id, m.camp.ID)
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
		}
		if msg.Closed || m.prog.Done {
			m.state = stateDone
			return m, nil
		}
		return m, common.WaitProgressCmd(m.id, m.ch)
	case tea.KeyMsg:
		switch m.state {
		case stateConfirm:
			switch {
			case key.Matches(msg, km.Yes):
				m.state = statePreparing
				return m, tea.Batch(m.spin.Tick, m.launchCmd())
			case key.Matches(msg, km.Mode) && m.canToggle():
				m.toggleMode()
			case key.Matches(msg, km.TestMode) && m.canTest():
				m.testMode = !m.testMode
			case key.Matches(msg, km.Toggle) && m.lp.Served > 0:
				m.plan.IncludeServed = !m.plan.IncludeServed
				m.replan()
			case key.Matches(msg, km.No):
				return m, common.Back
			}
		case statePreparing:
			return m, nil
		case stateError:
			if key.Matches(msg, km.Refresh) { // the advice shown says r: launch again
				m.camp, m.err, m.state = domain.Campaign{}, nil, statePreparing
				return m, tea.Batch(m.spin.Tick, m.launchCmd())
			}
			if key.Matches(msg, km.Back) {
				if m.camp.ID != "" {
					return m, func() tea.Msg { return common.HomeMsg{} }
				}
				return m, common.Back
			}
		default:
			switch {
			case key.Matches(msg, km.Back):
				return m, func() tea.Msg { return common.HomeMsg{} }
			case key.Matches(msg, km.Enter):
				id := m.camp.ID
				return m, func() tea.Msg { return OpenCampaignMsg{ID: id} }
			}
		}
	}
	return m, nil
}

// ShortHelp is the help bar.
func (m *Model) ShortHelp() []key.Binding {
	km := m.c.KeyMap
	switch m.state {
	case stateConfirm:
		keys := []key.Binding{keymap.Labelled(km.Yes, i18n.KeyLaunch)}
		if m.canToggle() {
			keys = append(keys, km.Mode)
		}
		if m.canTest() {
			keys = append(keys, km.TestMode)
		}
		return append(keys, keymap.Labelled(km.No, i18n.KeyBack))
	case statePreparing:
		return nil
	case stateError:
		return []key.Binding{keymap.Labelled(km.Refresh, i18n.KeyLaunchAgain), km.Back}
	}
	return []key.Binding{keymap.Labelled(km.Enter, i18n.KeyOpen), km.Back}
}

// FullHelp is the full help.
func (m *Model) FullHelp() [][]key.Binding { return [][]key.Binding{m.ShortHelp()} }

// HelpSections: the confirmation and the progress have actions only.
func (m *Model) HelpSections() []common.HelpSection {
	return common.Sections(nil, m.ShortHelp(), nil)
}

// Legend explains the marks.
func (m *Model) Legend() []string {
	if m.state == stateConfirm && m.canToggle() {
		return []string{i18n.LegendMode}
	}
	return nil
}

// View draws the confirmation or the progress.
func (m *Model) View() string {
	switch m.state {
	case stateConfirm:
		return m.confirmView()
	case statePreparing:
		return m.what() + "\n\n" + m.spin.View() + " " + i18n.LaunchPreparing
	case stateError:
		return m.what() + "\n\n" + m.c.ErrorView(m.err, m.width)
	}
	return m.progressView()
}

func (m *Model) what() string {
	r := m.plan.Request
	label := r.VDI.Label
	if label == "" {
		label = r.VDI.Key()
	}
	return m.c.Styles.Strong.Render(fmt.Sprintf(i18n.LaunchWhat, label, r.VDI.Key(), domain.AcademicYearLabel(r.Year), r.Component))
}

func (m *Model) confirmView() string {
	s := m.c.Styles
	r := m.plan.Request
	var vets []string
	for _, v := range r.VETs {
		vets = append(vets, v.Key())
	}
	mode := m.plan.Mode
	lines := []string{s.Title.Render(i18n.LaunchConfirmTitle), "", m.what(), fmt.Sprintf(i18n.LaunchVETs, strings.Join(vets, ", "))}
	if m.canTest() {
		choice := "[" + i18n.YesNo(false) + "] / " + i18n.YesNo(true)
		if m.testMode {
			choice = i18n.YesNo(false) + " / [" + i18n.YesNo(true) + "]"
		}
		line := fmt.Sprintf(i18n.LaunchTestChoice, choice, m.testRecipient())
		if m.testMode {
			line = s.Banner.Render(line)
		}
		lines = append(lines, line)
	}
	if m.canToggle() {
		lines = append(lines, s.Strong.Render(fmt.Sprintf(i18n.LaunchMode, m.modeChoice())))
	} else {
		lines = append(lines, fmt.Sprintf(i18n.LaunchModeOnly, mode.Label()))
	}
	fresh := len(m.plan.Rows) > 0 && m.c.Engine.PreviewFresh(m.plan.PreviewedAt)
	lines = append(lines, fmt.Sprintf(i18n.LaunchSource, domain.SourceLabel(fresh, m.plan.PreviewedAt)))
	lines = append(lines, "")
	switch mode { // what the channel will do, in words
	case domain.ModeDigiposte:
		lines = append(lines, i18n.Count(m.plan.Eligible, i18n.LaunchDigiCountOne, i18n.LaunchDigiCount), i18n.LaunchDigiNext)
	case domain.ModePrint:
		lines = append(lines, i18n.Count(m.plan.Eligible, i18n.LaunchPrintCountOne, i18n.LaunchPrintCount))
	default:
		lines = append(lines, i18n.Count(m.plan.Eligible, i18n.LaunchMailCountOne, i18n.LaunchMailCount))
	}
	lines = append(lines, excludedLine(m.plan.Students-m.plan.Eligible))
	if m.lp.NoEmail > 0 {
		lines = append(lines, fmt.Sprintf(i18n.LaunchNoEmail, i18n.Plural(m.lp.NoEmail, i18n.NounStudent)))
	}
	if m.lp.Served > 0 {
		what, how := i18n.LaunchServedOut, i18n.LaunchServedInclude
		if m.plan.IncludeServed {
			what, how = i18n.LaunchServedIn, i18n.LaunchServedExclude
		}
		lines = append(lines, s.Warn.Render(fmt.Sprintf(i18n.LaunchServed, i18n.Plural(m.lp.Served, i18n.NounStudent),
			i18n.DateAt(m.lp.ServedLast), what)), how)
	}
	test := m.c.TestMode || m.testMode
	switch {
	case mode == domain.ModePrint: // nothing leaves by mail
	case test && mode == domain.ModeDigiposte:
		lines = append(lines, s.Warn.Render(fmt.Sprintf(i18n.LaunchDigiTestTo, m.testRecipient())))
	case test:
		lines = append(lines, s.Warn.Render(fmt.Sprintf(i18n.LaunchTestTo, i18n.Plural(m.plan.Eligible, i18n.NounMail), m.testRecipient())))
	case mode != domain.ModeDigiposte:
		lines = append(lines, i18n.LaunchRealTo)
	}
	lines = append(lines, i18n.LaunchManagers, "", s.Strong.Render(i18n.LaunchAsk))
	width := max(min(m.width-2, 96), 20)
	return s.Dialog.Width(width).Render(strings.Join(lines, "\n"))
}

// canTest: a test address is configured and the test mode is not already forced by
// the configuration: the manager may launch this campaign in test mode (t).
func (m *Model) canTest() bool { return !m.c.TestMode && m.testRecipient() != "" }

func (m *Model) testRecipient() string {
	if m.c.TestRecipient != "" {
		return m.c.TestRecipient
	}
	return m.c.Engine.Settings().TestRecipient
}

// TestMode says whether the campaign will be launched in test mode.
func (m *Model) TestMode() bool { return m.c.TestMode || m.testMode }

// modeChoice shows the modes, the chosen one in brackets: "[courriel] / Digiposte".
func (m *Model) modeChoice() string {
	var parts []string
	for _, md := range m.modes {
		if md == m.plan.Mode {
			parts = append(parts, "["+md.Label()+"]")
		} else {
			parts = append(parts, md.Label())
		}
	}
	return strings.Join(parts, " / ")
}

// Counts formats counts per state in the domain's order of states.
func Counts(counts map[domain.EntryState]int) string {
	var parts []string
	seen := map[domain.EntryState]bool{}
	for _, st := range domain.States() {
		seen[st.State] = true
		if n := counts[st.State]; n > 0 {
			parts = append(parts, st.Label+" "+i18n.Int(n))
		}
	}
	var rest []string
	for st, n := range counts {
		if !seen[st] && n > 0 {
			rest = append(rest, st.Label()+" "+i18n.Int(n))
		}
	}
	sort.Strings(rest)
	return strings.Join(append(parts, rest...), " · ")
}

// excludedLine says how many students get nothing, in a correct sentence for 0 and 1.
func excludedLine(n int) string {
	if n == 0 {
		return i18n.LaunchExcludedNone
	}
	return i18n.Count(n, i18n.LaunchExcludedOne, i18n.LaunchExcluded)
}

// doneTitle says how the run ended: "terminée", "terminée avec 3 échecs", or that
// nothing went out.
func doneTitle(id string, p domain.Progress) string {
	failed := domain.CountOutcomes(p.Counts)[domain.OutcomeFailed]
	switch {
	case failed == 0:
		return fmt.Sprintf(i18n.LaunchFinished, id)
	case failed >= p.ToDo:
		return fmt.Sprintf(i18n.LaunchAllFailed, id, i18n.Plural(failed, i18n.NounFailure))
	}
	return fmt.Sprintf(i18n.LaunchFinishedFail, id, i18n.Plural(failed, i18n.NounFailure))
}

func (m *Model) progressView() string {
	s := m.c.Styles
	p := m.prog
	id := m.camp.ID
	var title string
	switch {
	case m.camp.State == domain.CampaignWaiting || p.State == domain.CampaignWaiting:
		title = fmt.Sprintf(i18n.LaunchWaiting, id)
	case p.Suspended:
		title = fmt.Sprintf(i18n.LaunchSuspended, id)
	case p.Interrupted:
		title = fmt.Sprintf(i18n.LaunchInterrupted, id)
	case m.state == stateDone:
		title = doneTitle(id, p)
	default:
		title = fmt.Sprintf(i18n.LaunchRunning, id)
	}
	lines := []string{m.what(), "", s.Title.Render(title), ""}
	if m.scheduled() && m.state == stateDone && !p.Interrupted {
		// No progress bar: nothing leaves now, the daemon's cycle does the rest.
		lines = append(lines, Counts(p.Counts), "", common.Wrap(i18n.LaunchDigiWaiting, m.width),
			"", s.Muted.Render(i18n.LaunchLeave))
		return strings.Join(lines, "\n")
	}
	pct := 0.0
	if p.ToDo > 0 {
		pct = float64(p.Processed) / float64(p.ToDo)
	} else if m.state == stateDone {
		pct = 1
	}
	lines = append(lines, m.bar.ViewAs(pct)+" "+i18n.Percent(pct),
		fmt.Sprintf(i18n.LaunchProcessed, i18n.Int(p.Processed), i18n.Int(p.ToDo)), Counts(p.Counts))
	if m.state != stateDone {
		lines = append(lines, fmt.Sprintf(i18n.LaunchThroughput, i18n.Decimal(p.Throughput)))
		if eta := p.ETA(); eta > 0 {
			lines = append(lines, fmt.Sprintf(i18n.LaunchETA, i18n.Duration(eta)))
		} else {
			lines = append(lines, i18n.LaunchETAUnknown)
		}
		if p.Current != "" {
			lines = append(lines, fmt.Sprintf(i18n.LaunchCurrent, p.Current))
		}
	}
	if p.Err != "" {
		lines = append(lines, s.Error.Render(common.Wrap(i18n.French(p.Err), m.width)))
	}
	if len(p.LastErrors) > 0 {
		lines = append(lines, "", s.Bad.Render(i18n.LaunchLastErrors))
		for _, e := range p.LastErrors {
			lines = append(lines, "  "+common.Cut(i18n.French(e), m.width-2))
		}
	}
	if m.c.MailDir != "" && m.camp.Mode == domain.ModeMail && p.Counts[domain.EntryMailed] > 0 {
		lines = append(lines, "", fmt.Sprintf(i18n.LaunchMailDir, m.c.MailDir))
	}
	leave := i18n.LaunchLeave
	if m.state == stateDone && !p.Interrupted {
		leave = i18n.LaunchLeaveDone
	}
	lines = append(lines, "", s.Muted.Render(common.Wrap(leave, m.width)))
	return strings.Join(lines, "\n")
}
