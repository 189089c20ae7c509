package render

import (
	"fmt"
	"io"
	"time"

	"hypercerts/domain"
)

// Cover is the first page of a print batch: what the batch is, for the person at the
// printer.
type Cover struct {
	Title string    // "Lot d'impression P20261203-1a2b3c4d5e6f"
	Lines []string  // campaign, diploma, counts…
	At    time.Time // printed as the batch's date, and the PDF's dates
}

// RenderBatch writes one A4 PDF for printing: the cover, then each attestation on its
// own page, in the order given, with "Page n / N" in every page's footer. One font
// serves the whole batch (the full DejaVu Sans as soon as one name needs it).
func (r *Renderer) RenderBatch(w io.Writer, cover Cover, as []domain.Attestation) error {
	pages := make([]page, len(as))
	font, err := latinCut.get()
	if err != nil {
		return fmt.Errorf("render : %w", err)
	}
	coverTexts := map[string]string{"titre": cover.Title}
	for i, l := range cover.Lines {
		coverTexts[fmt.Sprintf("ligne %d", i+1)] = l
	}
	if f, err := pickFont(coverTexts); err != nil {
		return fmt.Errorf("render : page de garde : %w", err)
	} else if f.whole {
		font = f
	}
	for i, a := range as {
		p, err := r.prepare(a)
		if err != nil {
			return err
		}
		if p.font.whole {
			font = p.font
		}
		pages[i] = p
	}

	pdf := newDocument(cover.At, cover.Title, r.opts.University)
	font.install(pdf)
	pdf.AliasNbPages("{nb}")
	pdf.SetFooterFunc(func() { // under the attestation's own footer
		pdf.SetAutoPageBreak(false, 0)
		pdf.SetXY(margin, 297-margin/2+1)
		setFont(pdf, false, 8)
		pdf.SetTextColor(greyText, greyText, greyText)
		pdf.CellFormat(textW, 4, fmt.Sprintf("Page %d / {nb}", pdf.PageNo()), "", 0, "R", false, 0, "")
		pdf.SetTextColor(0, 0, 0)
	})

	pdf.SetAutoPageBreak(true, margin)
	pdf.AddPage()
	pdf.SetY(margin + 40)
	setFont(pdf, true, 20)
	pdf.MultiCell(textW, 10, cover.Title, "", "C", false)
	pdf.Ln(10)
	setFont(pdf, false, bodySize)
	for _, l := range cover.Lines {
		pdf.MultiCell(textW, lineH+1, l, "", "C", false)
	}
	pdf.Ln(6)
	pdf.MultiCell(textW, lineH+1, "Lot préparé le "+FrenchDate(cover.At)+" à "+cover.At.Format("15:04"), "", "C", false)

	for _, p := range pages {
		pdf.SetAutoPageBreak(true, margin)
		pdf.AddPage()
		if err := r.drawPage(pdf, p); err != nil {
			return err
		}
	}
	pdf.Close()
	if err := pdf.Error(); err != nil {
		return fmt.Errorf("render : lot d'impression : %w", err)
	}
	if err := pdf.Output(w); err != nil {
		return fmt.Errorf("render : écriture du lot d'impression : %w", err)
	}
	return nil
}
