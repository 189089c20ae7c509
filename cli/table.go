package cli

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"hypercerts/domain"
	"hypercerts/export"
)

// WritePreviewTable prints rows as an aligned table followed by totals.
func WritePreviewTable(w io.Writer, rows []domain.Row) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	cols := []int{0, 1, 2, 4, 6, 7, 9, 10, 11}
	line := func(rec []string) {
		var cells []string
		for _, c := range cols {
			cells = append(cells, rec[c])
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	line(export.PreviewHeader)
	for _, r := range rows {
		line(export.PreviewRecord(r))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	t := domain.TotalsOf(rows)
	_, err := fmt.Fprintf(w, "\n%d étudiants : %d reçus, %d non reçus, %d sans verdict, %d bloqués, %d en erreur — %d attestations à produire\n",
		t.Students, t.Admitted, t.NotAdmitted, t.NoVerdict, t.Blocked, t.Errors, t.Eligible)
	return err
}
