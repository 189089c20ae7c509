package preview

import (
	"encoding/csv"
	"fmt"
	"io"
	"strings"

	"hypercerts/domain"
)

// The CSV is the same as `hypercerts preview --csv` (cli/table.go): the ui must not
// import cli, so these few lines are copied.

var csvHeader = []string{"Nom", "Prénoms", "Code étudiant", "INE", "Verdict", "Session",
	"Mention", "ECTS", "Blocages", "Éligible", "Motifs", "Adresse", "Destinataire réel"}

func csvRecord(r domain.Row) []string {
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

// WriteCSV writes rows for LibreOffice and Excel: UTF-8 with a byte-order mark, ';'
// separated, CRLF line ends.
func WriteCSV(w io.Writer, rows []domain.Row) error {
	if _, err := io.WriteString(w, "\uFEFF"); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	cw.Comma = ';'
	cw.UseCRLF = true
	if err := cw.Write(csvHeader); err != nil {
		return err
	}
	for _, r := range rows {
		if err := cw.Write(csvRecord(r)); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// Totals counts the rows of a preview.
type Totals struct {
	Students, Admitted, NotAdmitted, NoVerdict, Blocked, Errors, Eligible int
}

func (t *Totals) add(r domain.Row) {
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
