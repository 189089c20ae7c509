// Package hubee is the « Télédossiers HubEE » screen: the cases the HubEE sync
// received (newest first), their HubEE status, how far the sync went and their
// outcome, with a detail pane. The daemon's hubee_sync job fills the list; this screen
// only reads it (Engine.HubEECases).
package hubee

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"hypercerts/domain"
	"hypercerts/ui/common"
	"hypercerts/ui/i18n"
)

// LoadedMsg carries the recorded cases.
type LoadedMsg struct {
	ID    int64
	Cases []domain.HubEECase
	Err   error
}

// RetriedMsg carries the end of a retry asked with R.
type RetriedMsg struct {
	ID   int64
	Case domain.HubEECase
	Err  error
}

// errNotConfigured: no hub is wired (shown in place with what to do).
var errNotConfigured = errors.New(i18n.HubNotConfigured) //lint:ignore ST1005 a full French sentence, shown as is by the UI

// Model is the HubEE screen.
type Model struct {
	c       *common.Common
	id      int64
	loading bool
	err     error
	cases   []domain.HubEECase
	cur     common.Table
	detail  bool          // the pane under the list (shown when the height allows)
	rec     common.Detail // the full record (Entrée, d)
	width   int
	height  int
	// retrying: a retry runs (R); notice is its outcome, on the count line until the
	// next key.
	retrying  bool
	notice    string
	noticeBad bool
}

// retryKey is R, "reprendre" on this screen.
var retryKey = key.NewBinding(key.WithKeys("R"), key.WithHelp("R", i18n.KeyHubRetry))

// retryable: the sync gave up on the case, or left it waiting after a failure.
func retryable(k *domain.HubEECase) bool {
	return k.NeedsPerson || (k.LastError != "" && k.Step != domain.HubStepFinished)
}

// New makes the screen.
func New(c *common.Common) *Model {
	return &Model{c: c, id: c.NextID(), loading: true, detail: true, cur: common.NewTable(columns)}
}

// Title names the screen.
func (m *Model) Title() string { return i18n.ScreenHubEE }

// Busy: loading or retrying.
func (m *Model) Busy() bool { return m.loading || m.retrying }

// Init loads the cases.
func (m *Model) Init() tea.Cmd { return m.load() }

// Refresh reloads (when the screen comes back on top).
func (m *Model) Refresh() tea.Cmd { return m.load() }

func (m *Model) load() tea.Cmd {
	m.loading = true
	c, id := m.c, m.id
	return func() tea.Msg {
		list, err := c.Engine.HubEECases(c.Ctx, c.User)
		if err == nil && len(list) == 0 && !c.Engine.HubEEConfigured() {
			err = errNotConfigured
		}
		return LoadedMsg{ID: id, Cases: list, Err: err}
	}
}

// sortCases puts the newest first; cases received at the same instant by student,
// then by HubEE id, so the order never depends on the store.
func sortCases(list []domain.HubEECase) {
	sort.SliceStable(list, func(i, j int) bool {
		a, b := list[i], list[j]
		if !a.Received.Equal(b.Received) {
			return a.Received.After(b.Received)
		}
		if a.StudentCode != b.StudentCode {
			return a.StudentCode < b.StudentCode
		}
		return a.CaseID < b.CaseID
	})
}

const detailHeight = 8

// SetSize gives the room.
func (m *Model) SetSize(w, h int) {
	m.width, m.height = w, h
	m.resize()
}

func (m *Model) resize() {
	rows := m.height - 2 // count line, header
	if m.pane() {
		rows -= detailHeight + 1
	}
	m.cur.SetWidth(m.width)
	m.cur.SetHeight(rows)
	m.rec.SetSize(m.width, m.height)
}

// pane: the summary under the list, when there is room for it and a few rows.
func (m *Model) pane() bool { return m.detail && m.height >= detailHeight+8 }

func (m *Model) recordTitle(k *domain.HubEECase) string {
	return fmt.Sprintf(i18n.DetTitleCase, orDash(k.ExternalID))
}

// Update handles results and keys.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	km := m.c.KeyMap
	switch msg := msg.(type) {
	case LoadedMsg:
		if msg.ID != m.id {
			return m, nil
		}
		m.loading, m.err = false, msg.Err
		if msg.Err == nil {
			var sel string // the cursor (and the pane) stay on their case when new ones come first
			if m.cur.Pos < len(m.cases) {
				sel = m.cases[m.cur.Pos].CaseID
			}
			sortCases(msg.Cases)
			m.cases = msg.Cases
			m.cur.SetLen(len(m.cases))
			for i, k := range m.cases {
				if k.CaseID == sel && i != m.cur.Pos {
					m.cur.Move(i - m.cur.Pos)
					break
				}
			}
			if m.rec.IsOpen() && len(m.cases) > 0 {
				k := &m.cases[m.cur.Pos]
				m.rec.Update(m.recordTitle(k), caseFields(k))
			}
		}
	case RetriedMsg:
		if msg.ID != m.id {
			return m, nil
		}
		m.retrying = false
		for i := range m.cases { // shown at once; the reload brings the rest
			if m.cases[i].CaseID == msg.Case.CaseID {
				m.cases[i] = msg.Case
			}
		}
		name := orDash(msg.Case.ExternalID)
		if msg.Err != nil {
			m.notice, m.noticeBad = fmt.Sprintf(i18n.HubRetryFailed, name, i18n.French(msg.Err.Error())), true
		} else {
			m.notice, m.noticeBad = fmt.Sprintf(i18n.HubRetried, name, msg.Case.Step.Label(), msg.Case.Outcome.Label()), false
		}
		return m, m.load()
	case tea.KeyMsg:
		if m.rec.HandleKey(msg, km) {
			return m, nil
		}
		m.notice = ""
		if key.Matches(msg, retryKey) && len(m.cases) > 0 && !m.retrying {
			return m, m.retry(m.cases[m.cur.Pos])
		}
		if key.Matches(msg, km.Back) {
			return m, common.Back
		}
		if key.Matches(msg, km.Refresh) {
			return m, m.load()
		}
		if m.cur.HandleKey(msg, km) {
			return m, nil
		}
		if (key.Matches(msg, km.Detail) || key.Matches(msg, km.Enter)) && len(m.cases) > 0 {
			k := &m.cases[m.cur.Pos]
			m.rec.Show(m.recordTitle(k), caseFields(k))
		}
	}
	return m, nil
}

// retry asks the engine to take the case up again (Engine.HubEERetry).
func (m *Model) retry(k domain.HubEECase) tea.Cmd {
	if !retryable(&k) {
		m.notice, m.noticeBad = fmt.Sprintf(i18n.HubNothingToRetry, orDash(k.ExternalID), k.Step.Label()), false
		return nil
	}
	m.retrying = true
	m.notice, m.noticeBad = fmt.Sprintf(i18n.HubRetrying, orDash(k.ExternalID)), false
	c, id := m.c, m.id
	return func() tea.Msg {
		got, err := c.Engine.HubEERetry(c.Ctx, c.User, k.CaseID)
		if got.CaseID == "" {
			got = k
		}
		return RetriedMsg{ID: id, Case: got, Err: err}
	}
}

// ShortHelp is the help bar.
func (m *Model) ShortHelp() []key.Binding {
	km := m.c.KeyMap
	if m.rec.IsOpen() {
		return m.rec.ShortHelp(km)
	}
	if len(m.cases) == 0 {
		return []key.Binding{km.Refresh, km.Back}
	}
	if retryable(&m.cases[m.cur.Pos]) { // the action this case waits for comes first
		return []key.Binding{retryKey, km.Detail, km.Refresh, km.Back}
	}
	return []key.Binding{km.Detail, km.Refresh, km.Back}
}

// FullHelp is the full help.
func (m *Model) FullHelp() [][]key.Binding { return [][]key.Binding{m.ShortHelp()} }

// HelpSections is the full help by sections.
func (m *Model) HelpSections() []common.HelpSection {
	km := m.c.KeyMap
	if m.rec.IsOpen() {
		return m.rec.HelpSections(km)
	}
	var nav []key.Binding
	if len(m.cases) > 1 {
		nav = km.Navigation()
	}
	return common.Sections(nav, m.ShortHelp(), nil)
}

// Legend explains the marks of the list.
func (m *Model) Legend() []string {
	if len(m.cases) == 0 || m.rec.IsOpen() {
		return nil
	}
	return []string{i18n.LegendCursor, i18n.LegendHubToHandle}
}

// columns of the list. When the width is short, the démarche and the step (with the
// reception's time) go first, then the HubEE status: they are in the detail pane, and
// the folder number, the student, the outcome and the reason stay readable.
var columns = []common.Column{
	{Title: i18n.HubColReceived, Width: 16, Priority: 2},
	{Title: i18n.HubColReceived, Width: 10, Instead: 2}, // the day only
	{Title: i18n.HubColProcess, Width: 10, Flex: 1, Priority: 2},
	{Title: i18n.HubColFolder, Width: 16},
	{Title: i18n.HubColApplicant, Width: 10, Flex: 2},
	{Title: i18n.HubColStudent, Width: 8},
	{Title: i18n.HubColStatus, Width: 12, Priority: 1},
	{Title: i18n.HubColStep, Width: 14, Priority: 2},
	{Title: i18n.HubColOutcome, Width: 20},
	{Title: i18n.HubColReason, Width: 8, Flex: 3},
}

func applicant(a domain.HubApplicant) string {
	return strings.TrimSpace(a.LastName + " " + a.FirstName)
}

func (m *Model) cells(k *domain.HubEECase) []string {
	reason := k.Reason
	if reason == "" || k.NeedsPerson {
		reason = i18n.French(k.LastError)
	}
	outcome := k.Outcome.Label()
	if k.NeedsPerson {
		outcome = i18n.HubNeedsPerson
	}
	return []string{i18n.Date(k.Received), i18n.Day(k.Received), k.Process, k.ExternalID, applicant(k.Applicant),
		k.StudentCode, i18n.HubStatus(k.Status), k.Step.Label(), outcome, reason}
}

// View draws the list and the detail pane, or the empty state, or the error in place.
func (m *Model) View() string {
	s := m.c.Styles
	if m.err != nil {
		if errors.Is(m.err, errNotConfigured) {
			return s.Error.Render(common.Wrap(i18n.ErrorTitle+" : "+i18n.HubNotConfigured, m.width)) + "\n" +
				common.Wrap(i18n.WhatToDo+i18n.HubNotConfiguredWhat, m.width)
		}
		return m.c.ErrorView(m.err, m.width)
	}
	if m.loading && m.cases == nil {
		return s.Muted.Render(i18n.Loading)
	}
	if m.rec.IsOpen() {
		return m.rec.View(s)
	}
	if len(m.cases) == 0 {
		return strings.Join([]string{s.Strong.Render(i18n.HubEmptyTitle), "",
			common.Wrap(i18n.HubEmptyWhat, m.width), "", common.Wrap(i18n.HubEmptySync, m.width), "",
			s.Muted.Render(i18n.HubEmptyHint)}, "\n")
	}
	var b strings.Builder
	count := s.Muted.Render(i18n.Plural(len(m.cases), i18n.NounCase))
	if n := needsPerson(m.cases); n > 0 {
		count += s.Muted.Render(" · ") + s.Bad.Render(fmt.Sprintf(i18n.HubNeedsPersonN, i18n.Plural(n, i18n.NounFolder)))
	}
	if m.notice != "" {
		st := s.Strong
		if m.noticeBad {
			st = s.Bad
		}
		count = st.Render(common.Fit(m.notice, m.width))
	}
	b.WriteString(count + "\n")
	m.cur.Pad = m.pane() // the pane stays at its place under the list
	b.WriteString(m.cur.View(s, func(i int) common.Row {
		k := &m.cases[i]
		r := common.Row{Cells: m.cells(k)}
		switch {
		case k.NeedsPerson || k.Outcome == domain.HubOutcomeIntegrationError || k.LastError != "":
			r.Style = &s.Bad
		case k.Outcome == domain.HubOutcomeToHandle:
			r.Style = &s.Warn
		}
		return r
	}))
	if m.pane() {
		b.WriteString("\n" + s.Pane.Render(m.detailView()))
	}
	return b.String()
}

func orDash(s string) string {
	if s == "" {
		return i18n.HubDetNone
	}
	return s
}

func (m *Model) detailView() string {
	k := &m.cases[m.cur.Pos]
	role := i18n.HubRoleOther
	if k.Role == domain.HubEEAttestationRequest {
		role = i18n.HubRoleAttestation
	}
	app := applicant(k.Applicant)
	if k.Applicant.Email != "" {
		app += " <" + k.Applicant.Email + ">"
	}
	student := k.StudentCode
	if k.StudentName != "" {
		student = k.StudentName + " (" + k.StudentCode + ")"
	}
	lines := []string{
		fmt.Sprintf(i18n.HubDetFolder, orDash(k.ExternalID), orDash(k.Process), role),
		fmt.Sprintf(i18n.HubDetApplicant, orDash(app), k.CaseID),
		fmt.Sprintf(i18n.HubDetStudent, orDash(student), orDash(domain.AcademicYearLabel(k.Year)), orDash(k.VDI)),
		fmt.Sprintf(i18n.HubDetStatus, i18n.HubStatus(k.Status), k.Step.Label(), k.Outcome.Label()),
	}
	if k.Pending != "" {
		lines = append(lines, fmt.Sprintf(i18n.HubDetPending, i18n.HubStatus(k.Pending)))
	}
	if k.Reason != "" {
		lines = append(lines, fmt.Sprintf(i18n.HubDetReason, k.Reason))
	}
	if k.Answer != "" && k.Answer != k.Reason {
		lines = append(lines, fmt.Sprintf(i18n.HubDetAnswer, k.Answer))
	}
	if k.Deposit.FileName != "" {
		lines = append(lines, fmt.Sprintf(i18n.HubDetDeposit, k.Deposit.FileName, i18n.Int(int(k.Deposit.Size))))
	}
	if len(k.Files) > 0 {
		var names []string
		for _, f := range k.Files {
			names = append(names, f.FileName)
		}
		lines = append(lines, fmt.Sprintf(i18n.HubDetFiles, strings.Join(names, ", ")))
	}
	switch {
	case k.NeedsPerson:
		// First under the status: the reason a person is needed must not be cut off.
		l := fmt.Sprintf(i18n.HubDetNeedsPerson, i18n.French(k.LastError), i18n.Plural(k.Attempts, i18n.NounAttempt))
		lines = append(lines[:4], append([]string{l}, lines[4:]...)...)
	case k.LastError != "":
		lines = append(lines, fmt.Sprintf(i18n.HubDetError, i18n.French(k.LastError), i18n.Plural(k.Attempts, i18n.NounAttempt)))
	}
	lines = append(lines, fmt.Sprintf(i18n.HubDetDates, i18n.Date(k.Received), i18n.Date(k.Updated)))
	if len(lines) > detailHeight {
		lines = append(lines[:detailHeight-1], lines[len(lines)-1])
	}
	for len(lines) < detailHeight {
		lines = append(lines, "")
	}
	for i := range lines {
		lines[i] = common.Fit(lines[i], m.width)
	}
	return strings.Join(lines, "\n")
}

// caseFields is the whole record of a case: every field of the pane, in full.
func caseFields(k *domain.HubEECase) []common.Field {
	role := i18n.HubRoleOther
	if k.Role == domain.HubEEAttestationRequest {
		role = i18n.HubRoleAttestation
	}
	student := k.StudentCode
	if k.StudentName != "" {
		student = k.StudentName + " (" + k.StudentCode + ")"
	}
	f := []common.Field{
		{Label: i18n.HubColFolder, Value: k.ExternalID},
		{Label: i18n.HubColProcess, Value: k.Process + " (" + role + ")"},
		{Label: i18n.HubColApplicant, Value: applicant(k.Applicant)},
		{Label: i18n.HubFEmail, Value: k.Applicant.Email},
		{Label: i18n.HubFCaseID, Value: k.CaseID},
		{Label: i18n.HubColStudent, Value: student},
		{Label: i18n.HubFYear, Value: domain.AcademicYearLabel(k.Year)},
		{Label: i18n.HubFVDI, Value: k.VDI},
		{Label: i18n.HubColStatus, Value: i18n.HubStatus(k.Status)},
		{Label: i18n.HubColStep, Value: k.Step.Label()},
		{Label: i18n.HubColOutcome, Value: k.Outcome.Label()},
	}
	if k.Pending != "" {
		f = append(f, common.Field{Label: i18n.HubFPending, Value: i18n.HubStatus(k.Pending)})
	}
	if k.Reason != "" {
		f = append(f, common.Field{Label: i18n.HubColReason, Value: k.Reason})
	}
	if k.Answer != "" && k.Answer != k.Reason {
		f = append(f, common.Field{Label: i18n.HubFAnswer, Value: k.Answer})
	}
	if k.Deposit.FileName != "" {
		f = append(f, common.Field{Label: i18n.HubFDeposit, Value: fmt.Sprintf(i18n.HubFDepositV, k.Deposit.FileName, i18n.Int(int(k.Deposit.Size)))})
	}
	for _, file := range k.Files {
		f = append(f, common.Field{Label: i18n.HubFFile, Value: file.FileName})
	}
	if k.NeedsPerson {
		f = append(f, common.Field{Label: i18n.HubFNeedsPerson, Value: fmt.Sprintf(i18n.HubFNeedsPersonV, i18n.French(k.LastError), i18n.Plural(k.Attempts, i18n.NounAttempt))})
	} else if k.LastError != "" {
		f = append(f, common.Field{Label: i18n.HubFError, Value: fmt.Sprintf(i18n.HubFErrorV, i18n.French(k.LastError), i18n.Plural(k.Attempts, i18n.NounAttempt))})
	}
	return append(f, common.Field{Label: i18n.HubColReceived, Value: i18n.Date(k.Received)},
		common.Field{Label: i18n.HubFUpdated, Value: i18n.Date(k.Updated)})
}

func needsPerson(list []domain.HubEECase) int {
	n := 0
	for i := range list {
		if list[i].NeedsPerson {
			n++
		}
	}
	return n
}
