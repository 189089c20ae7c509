// Package printbatch writes the print channel's batches into a folder: one A4 PDF for
// printing (a cover page, then one attestation per page sorted by name in French
// collation, page numbers in the footer) and a CSV of its students, for the scolarité
// that prints them.
package printbatch

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"

	"golang.org/x/text/collate"
	"golang.org/x/text/language"

	"hypercerts/domain"
	"hypercerts/internal/safefile"
	"hypercerts/render"
)

// BatchRenderer lays a batch out as one PDF (render.Renderer).
type BatchRenderer interface {
	RenderBatch(w io.Writer, cover render.Cover, as []domain.Attestation) error
}

// Folder writes batches into one folder.
type Folder struct {
	dir string
	r   BatchRenderer
}

var _ domain.Printer = (*Folder)(nil)

// New makes the folder (owner only: the files hold students' data) if needed.
func New(dir string, r BatchRenderer) (*Folder, error) {
	if dir == "" {
		return nil, fmt.Errorf("lots d'impression : aucun dossier configuré (print.dir)")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("lots d'impression : dossier %s : %w", dir, err)
	}
	return &Folder{dir: dir, r: r}, nil
}

// Dir is the folder the batches are written into.
func (f *Folder) Dir() string { return f.dir }

// Print writes CAMPAIGN-BATCH.pdf and CAMPAIGN-BATCH.csv. Each is written to a
// temporary file in the folder and renamed when complete, so a crash leaves either
// the whole file or none, and an existing file of the same batch is replaced whole.
func (f *Folder) Print(ctx context.Context, b domain.PrintBatch) (string, error) {
	as := slices.Clone(b.Attestations)
	SortByName(as)
	base := filepath.Join(f.dir, b.Campaign.ID+"-"+b.ID)
	if err := ctx.Err(); err != nil {
		return "", err
	}
	if err := writeAtomic(base+".csv", func(w io.Writer) error { return writeCSV(w, as) }); err != nil {
		return "", err
	}
	c := b.Campaign
	label := c.DiplomaLabel
	if label == "" {
		label = c.VDI.Label
	}
	total, excluded := 0, c.Counts[domain.EntryExcluded]
	for _, n := range c.Counts {
		total += n
	}
	cover := render.Cover{Title: "Lot d'impression " + b.ID, At: b.CreatedAt, Lines: []string{
		"Campagne " + c.ID,
		label,
		fmt.Sprintf("%s — année universitaire %s — composante %s", c.VDI.Key(), domain.AcademicYearLabel(c.Year), c.Component.Code),
		"",
		fmt.Sprintf("%d attestations dans ce lot, une par page, par ordre alphabétique", len(as)),
		fmt.Sprintf("Campagne : %d étudiants, dont %d exclus", total, excluded),
	}}
	if err := writeAtomic(base+".pdf", func(w io.Writer) error { return f.r.RenderBatch(w, cover, as) }); err != nil {
		return "", err
	}
	return base + ".pdf", nil
}

// SortByName sorts attestations by last name, then first names, then student code,
// in French collation (accents and case do not break the alphabetical order:
// « Élodie » between « Edmond » and « Emma »).
func SortByName(as []domain.Attestation) {
	c := collate.New(language.French, collate.Loose)
	slices.SortStableFunc(as, func(a, b domain.Attestation) int {
		if d := c.CompareString(a.Student.LastName, b.Student.LastName); d != 0 {
			return d
		}
		if d := c.CompareString(a.Student.FirstNames(), b.Student.FirstNames()); d != 0 {
			return d
		}
		return c.CompareString(a.Student.Code, b.Student.Code)
	})
}

// CSVHeader are the columns of a batch's CSV, in French.
var CSVHeader = []string{"Page", "Nom", "Prénoms", "Code étudiant", "INE", "Référence", "Diplôme", "Mention"}

// writeCSV writes the batch's students in page order for LibreOffice and Excel: UTF-8
// with a byte-order mark, ';' separated, CRLF line ends (as the preview's CSV).
func writeCSV(w io.Writer, as []domain.Attestation) error {
	if _, err := io.WriteString(w, "\uFEFF"); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	cw.Comma, cw.UseCRLF = ';', true
	if err := cw.Write(CSVHeader); err != nil {
		return err
	}
	for i, a := range as {
		page := strconv.Itoa(i + 2) // page 1 is the cover
		if err := cw.Write([]string{page, a.Student.LastName, a.Student.FirstNames(), a.Student.Code, a.Student.INE,
			a.Reference, a.DiplomaLabel, a.Mention.Label}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// writeAtomic writes path through internal/safefile: a temporary file of the same
// folder (0600: students' data), synced, then renamed over path (a batch written again
// replaces its files whole); a symbolic link planted at path is refused.
func writeAtomic(path string, write func(io.Writer) error) error {
	if err := safefile.Write(path, safefile.Options{Force: true}, write); err != nil {
		return fmt.Errorf("lot d'impression %s : %w", filepath.Base(path), err)
	}
	return nil
}
