package cli

import (
	"encoding/csv"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"hypercerts/domain"
)

// previewHeader are the columns of the preview, in French, for the table and the CSV.
var previewHeader = []string{"Nom", "Prénoms", "Code étudiant", "INE", "Verdict", "Session",
	"Mention", "ECTS", "Blocages", "Éligible", "Motifs", "Adresse", "Destinataire réel"}

func previewRecord(r domain.Row) []string {
	session := ""
	if r.Session >= 0 {
		session = fmt.Sprint(r.Session)
	}
	var blockings []string
	for _, b := range r.Blockings {
		blockings = append(blockings, b.String())
	}
	eligible := "non"
	if r.Eligible {
		eligible = "oui"
	}
	return []string{r.Student.LastName, r.Student.FirstNames(), r.Student.Code, r.Student.INE,
		r.Verdict.Label(), session, r.Mention.Label, r.ECTS, strings.Join(blockings, " ; "), eligible,
		strings.Join(r.Reasons, " ; "), r.Recipient, r.RealRecipient}
}

// WritePreviewCSV writes rows as CSV for LibreOffice and Excel: UTF-8 with a byte-order
// mark (so accents open cleanly), ';' separated, CRLF line ends.
func WritePreviewCSV(w io.Writer, rows []domain.Row) error {
	if _, err := io.WriteString(w, "\uFEFF"); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	cw.Comma = ';'
	cw.UseCRLF = true
	if err := cw.Write(previewHeader); err != nil {
		return err
	}
	for _, r := range rows {
		if err := cw.Write(previewRecord(r)); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

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
	line(previewHeader)
	for _, r := range rows {
		line(previewRecord(r))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	t := Totals(rows)
	_, err := fmt.Fprintf(w, "\n%d étudiants : %d reçus, %d non reçus, %d sans verdict, %d bloqués, %d en erreur — %d attestations à produire\n",
		t.Students, t.Admitted, t.NotAdmitted, t.NoVerdict, t.Blocked, t.Errors, t.Eligible)
	return err
}

// PreviewTotals counts the rows of a preview.
type PreviewTotals struct {
	Students, Admitted, NotAdmitted, NoVerdict, Blocked, Errors, Eligible int
}

// Totals counts rows by verdict, blocking and eligibility.
func Totals(rows []domain.Row) PreviewTotals {
	var t PreviewTotals
	for _, r := range rows {
		t.Students++
		switch r.Verdict {
		case domain.Admitted:
			t.Admitted++
		case domain.NotAdmitted:
			t.NotAdmitted++
		default:
			t.NoVerdict++
		}
		if len(r.Blockings) > 0 {
			t.Blocked++
		}
		if r.Err != "" {
			t.Errors++
		}
		if r.Eligible {
			t.Eligible++
		}
	}
	return t
}
