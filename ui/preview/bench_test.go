package preview

import (
	"context"
	"fmt"
	"testing"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"hypercerts/domain"
	"hypercerts/ui/common"
)

// BenchmarkView10000 renders the preview screen (100×30) over 10,000 rows, the cursor
// in the middle, with colours on (ANSI 256) as a real terminal would.
func BenchmarkView10000(b *testing.B) {
	r := lipgloss.NewRenderer(nil)
	r.SetColorProfile(termenv.ANSI256)
	c := common.New(context.Background(), common.Options{Renderer: r})
	c.TestMode, c.TestRecipient = true, "recette@univ-demo.fr"
	rows := make([]domain.Row, 10000)
	for i := range rows {
		v := domain.Verdict(i % 3)
		rows[i] = domain.Row{
			Student: domain.Student{Code: fmt.Sprintf("21%06d", i), LastName: fmt.Sprintf("NOM%05d", i),
				FirstName1: "Élodie", FirstName2: "Marie", Email: fmt.Sprintf("e%d@etu.univ-demo.fr", i)},
			VETs: []string{"L3MATH/201"}, Verdict: v, Session: 1, Result: "ADM",
			Mention: domain.Mention{Code: "AB", Label: "Assez bien"}, ECTS: "180", Eligible: v == domain.Admitted,
			Recipient: "recette@univ-demo.fr", RealRecipient: fmt.Sprintf("e%d@etu.univ-demo.fr", i),
		}
		if i%17 == 0 {
			rows[i].Blockings = []domain.Blocking{{Code: "EXA", Label: "Blocage des examens"}}
		}
	}
	m := NewWithRows(c, domain.PreviewRequest{Year: "2024", Component: "SCI", VDI: domain.VDI{Dip: "LMATH", Version: "201", Label: "Licence Mathématiques"}}, rows)
	m.SetSize(100, 26)
	m.cur.Move(5000)
	m.resize()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if len(m.View()) == 0 {
			b.Fatal("empty view")
		}
	}
}

// BenchmarkFilter10000 is the cost of changing the filter over 10,000 rows.
func BenchmarkFilter10000(b *testing.B) {
	c := common.New(context.Background(), common.Options{})
	rows := make([]domain.Row, 10000)
	for i := range rows {
		rows[i] = domain.Row{Student: domain.Student{Code: fmt.Sprint(i), LastName: fmt.Sprint("NOM", i)}, Verdict: domain.Verdict(i % 3)}
	}
	m := NewWithRows(c, domain.PreviewRequest{}, rows)
	m.SetSize(100, 26)
	for b.Loop() {
		m.filter = (m.filter + 1) % filterCount
		m.refilter()
	}
}
