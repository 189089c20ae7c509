package preview

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/x/ansi"

	"hypercerts/domain"
	"hypercerts/ui/common"
	"hypercerts/ui/i18n"
)

// columns of the table. The addresses have the lowest priority: below 100 cells they
// are left out (an address needs some 30 cells to be read), so that names, verdicts and
// mentions stay readable; the row's record (d) shows them.
func columns(testMode bool) []common.Column {
	cols := []common.Column{
		{Title: "", Width: 1},
		{Title: i18n.PrevColName, Width: 8, Flex: 3, Max: 22},
		{Title: i18n.PrevColFirst, Width: 8, Flex: 3, Max: 22},
		{Title: i18n.PrevColCode, Width: 8},
		{Title: i18n.PrevColVerdict, Width: 14},
		{Title: i18n.PrevColMention, Width: 9, Flex: 1, Max: 12},
		{Title: i18n.PrevColECTS, Width: 4},
		{Title: i18n.PrevColBlock, Width: 7, Flex: 2},
	}
	if testMode {
		return append(cols, common.Column{Title: i18n.PrevColTestTo, Width: 8, Flex: 2, Priority: 1, Readable: 10},
			common.Column{Title: i18n.PrevColReal, Width: 17, Flex: 3, Priority: 1, Readable: 20})
	}
	return append(cols, common.Column{Title: i18n.PrevColAddr, Width: 10, Flex: 4, Priority: 1, Readable: 31})
}

// colAddr is the first address column.
const colAddr = 8

// narrow: the address columns are left out (the footer says where they are).
func (m *Model) narrow() bool { return !m.cur.Shown(colAddr) }

func (m *Model) cells(r *domain.Row) []string {
	mark := " "
	if r.Eligible {
		mark = "✓"
	}
	block := ""
	switch {
	case r.Err != "":
		block = i18n.PrevApogeeError
	case len(r.Blockings) > 0:
		block = r.Blockings[0].Label
		if block == "" {
			block = r.Blockings[0].String()
		}
		if n := len(r.Blockings); n > 1 {
			block += fmt.Sprintf(" (+%d)", n-1)
		}
	}
	return []string{mark, r.Student.LastName, r.Student.FirstNames(), r.Student.Code, r.Verdict.Label(),
		r.Mention.Label, r.ECTS, block, r.Recipient, r.RealRecipient}
}

// View draws the table and the totals, or the open record. Only the visible rows are
// formatted, whatever the number of rows.
func (m *Model) View() string {
	s := m.c.Styles
	if m.rec.IsOpen() {
		return m.rec.View(s)
	}
	var b strings.Builder
	b.WriteString(m.infoLine() + "\n")
	if m.err != nil {
		b.WriteString("\n" + m.c.ErrorView(m.err, m.width))
		return b.String()
	}
	m.cur.Empty = ""
	if !m.loading {
		m.cur.Empty = i18n.PrevNoRow
	}
	b.WriteString(m.cur.View(s, func(i int) common.Row {
		r := &m.rows[m.view[i]]
		row := common.Row{Cells: m.cells(r)}
		switch {
		case r.Err != "":
			row.Style = &s.Bad
		case !r.Eligible:
			row.Style = &s.Muted
		}
		return row
	}) + "\n")
	b.WriteString(common.Cut(m.totalsLine(), m.width) + "\n")
	b.WriteString(m.footer())
	return b.String()
}

func (m *Model) infoLine() string {
	s := m.c.Styles
	what := m.req.VDI.Key()
	if m.req.VDI.Label != "" {
		what += " " + m.req.VDI.Label
	}
	what += " · " + domain.AcademicYearLabel(m.req.Year) + " · " + m.req.Component
	var right string
	switch {
	case m.loading && !m.started:
		right = m.spin.View() + " " + i18n.PrevStarting
	case m.loading:
		right = m.spin.View() + " " + fmt.Sprintf(i18n.PrevLoading, i18n.Int(len(m.rows)), i18n.Plural(m.total, i18n.NounStudent))
	case m.stopErr != nil:
		right = s.Error.Render(fmt.Sprintf(i18n.PrevStopped, m.stopErr))
	default:
		right = s.Ok.Render(i18n.Plural(len(m.rows), i18n.NounRead))
	}
	return s.Strong.Render(common.Cut(what, max(m.width-ansi.StringWidth(right)-3, 10))) + " · " + right
}

func (m *Model) totalsLine() string {
	t := m.totals
	produce := fmt.Sprintf(i18n.PrevToProduce, i18n.Plural(t.Eligible, i18n.NounAttestation))
	counts := i18n.Plural(t.Admitted, i18n.NounReceived) + " · " + i18n.Plural(t.NotAdmitted, i18n.NounNotReceived) + " · " +
		fmt.Sprintf(i18n.PrevNoVerdict, i18n.Int(t.NoVerdict)) + " · " + i18n.Plural(t.Blocked, i18n.NounBlocked) + " · " +
		i18n.Plural(t.Errors, i18n.NounError)
	long := produce + " · " + i18n.Plural(t.Students, i18n.NounStudent) + " : " + counts
	if ansi.StringWidth(long) <= m.width {
		return long
	}
	// Narrower: the words that repeat go first, then the total (the sum of the
	// rest), never the blocked and the errors.
	short := fmt.Sprintf(i18n.PrevToProduce, i18n.Int(t.Eligible))
	if mid := short + " · " + i18n.Int(t.Students) + " : " + counts; ansi.StringWidth(mid) <= m.width {
		return mid
	}
	return short + " · " + counts
}

func (m *Model) footer() string {
	s := m.c.Styles
	parts := []string{fmt.Sprintf(i18n.PrevFilter, m.filter.Label()), i18n.Plural(len(m.view), i18n.NounShown)}
	if m.search.Focused() || m.search.Value() != "" {
		parts = append(parts, i18n.PrevSearch+m.search.View())
	}
	if m.narrow() {
		parts = append(parts, i18n.PrevNarrowHint)
	}
	return s.Muted.Render(strings.Join(parts, " · "))
}
