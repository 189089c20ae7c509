// Package export writes a preview as a file managers open in a spreadsheet. The CLI
// (`preview --csv`) and the terminal UI (export key) write the same file.
package export

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"hypercerts/domain"
	"hypercerts/internal/safefile"
)

// PreviewHeader are the columns of the preview, in French.
var PreviewHeader = []string{"Nom", "Prénoms", "Code étudiant", "INE", "Verdict", "Session",
	"Mention", "ECTS", "Blocages", "Éligible", "Motifs", "Adresse", "Destinataire réel"}

// PreviewRecord is one row under PreviewHeader.
func PreviewRecord(r domain.Row) []string {
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

// WritePreviewCSV writes rows for LibreOffice and Excel: UTF-8 with a byte-order mark
// (so accents open cleanly), ';' separated, CRLF line ends.
func WritePreviewCSV(w io.Writer, rows []domain.Row) error {
	if _, err := io.WriteString(w, "\uFEFF"); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	cw.Comma = ';'
	cw.UseCRLF = true
	if err := cw.Write(PreviewHeader); err != nil {
		return err
	}
	for _, r := range rows {
		if err := cw.Write(PreviewRecord(r)); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// WritePreviewCSVFile writes the CSV into path, readable by its owner only: it holds
// students' names, codes and addresses. It never writes through a symbolic link and
// replaces an existing file only with force (safefile).
func WritePreviewCSVFile(path string, rows []domain.Row, force bool) error {
	f, err := safefile.Create(path, safefile.Options{Force: force})
	if err != nil {
		if errors.Is(err, safefile.ErrExists) || errors.Is(err, safefile.ErrSymlink) || errors.Is(err, safefile.ErrNotRegular) {
			return fmt.Errorf("CSV non écrit : %w", err)
		}
		return fmt.Errorf("impossible de créer le CSV %s : %w (choisissez un dossier où vous pouvez écrire)", path, err)
	}
	if err := WritePreviewCSV(f, rows); err != nil {
		f.Abort()
		return fmt.Errorf("écriture du CSV %s : %w", path, err)
	}
	if err := f.Commit(); err != nil {
		return fmt.Errorf("CSV non écrit : %w", err)
	}
	return nil
}

// CreatePreviewCSV writes rows into a new file of dir named base.csv, or base-2.csv,
// base-3.csv… when taken: two managers exporting the same VDI never overwrite each
// other. The folder is created (0700) if missing; the file is created by safefile
// (never through a symbolic link, owner-only). It returns the file's path.
func CreatePreviewCSV(dir, base string, rows []domain.Row) (string, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("impossible de créer le dossier d'export %s : %w", dir, err)
	}
	for n := 1; n < 1000; n++ {
		name := base + ".csv"
		if n > 1 {
			name = fmt.Sprintf("%s-%d.csv", base, n)
		}
		path := filepath.Join(dir, name)
		err := safefile.Write(path, safefile.Options{}, func(w io.Writer) error { return WritePreviewCSV(w, rows) })
		if errors.Is(err, safefile.ErrExists) || errors.Is(err, safefile.ErrSymlink) || errors.Is(err, safefile.ErrNotRegular) {
			continue // taken (or a trap): the next name
		}
		if err != nil {
			return "", fmt.Errorf("impossible d'écrire le CSV %s : %w", path, err)
		}
		return path, nil
	}
	return "", fmt.Errorf("trop d'exports nommés %s dans %s : faites le ménage", base, dir)
}
