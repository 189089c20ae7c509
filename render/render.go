// Package render turns an attestation de réussite into a one-page A4 PDF, in French,
// through github.com/go-pdf/fpdf.
//
// Text is set in DejaVu Sans, embedded in the binary (fonts/, licence in
// fonts/LICENSE) and subset into each PDF, so every name of the demo data prints
// (Élodie, N'Diaye, Łukasz, Şeyma, Nguyễn…). The font is parsed once per process and
// the signature image decoded once per content (see fonts.go and images.go): a
// document costs well under a millisecond of font work, not the ~8 ms of a parse.
//
// Output is deterministic: the same attestation (IssuedAt included) gives the same
// bytes, which the golden tests check.
package render

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"reflect"
	"strings"
	"sync"
	"time"

	"github.com/go-pdf/fpdf"

	"hypercerts/attest"
	"hypercerts/domain"
)

// DefaultSignerTitle is printed when neither the signature nor the options give one.
const DefaultSignerTitle = "Le Président de l'Université"

// Options are the university-wide settings of every attestation.
type Options struct {
	// University is printed at the top, in the metadata (author) and after the
	// signer's title: "Université de Démo". Required.
	University string
	// City is the place of "Fait à {City}, le …". Required.
	City string
	// Logo is an optional PNG or JPEG printed top left; LogoPath is read instead
	// when Logo is empty.
	Logo     []byte
	LogoPath string
	// SignerTitleFallback is the signer's title when the signature has none
	// (default DefaultSignerTitle).
	SignerTitleFallback string
	// Address is the university's postal address, printed in the footer.
	Address string
	// Key signs the QR code's token (attest); without it no QR code is printed.
	Key *attest.PrivateKey
	// VerifyURL is the public verification page (verify.public_url): the QR code
	// carries VerifyURL/a/TOKEN and the page says where to check. Empty: the QR code
	// carries the bare token, for `hypercerts verify`.
	VerifyURL string
	// Sign, when set, signs the finished PDF (PAdES, see package pades) and returns
	// the signed bytes. ctx is RenderContext's: it ends the signature's outside calls
	// (the time-stamping authority) when the work is stopped.
	Sign func(ctx context.Context, pdf []byte) ([]byte, error)
}

// Renderer renders attestations; it is safe for concurrent use.
type Renderer struct {
	opts Options
	// The logo is checked by New but prepared (flattened, re-encoded at
	// BestCompression: ≈ 20 ms for the demo's) at the first page, not at start-up.
	logoData []byte
	logoOnce sync.Once
	logo     *picture
	logoErr  error
}

var (
	_ domain.Renderer        = (*Renderer)(nil)
	_ domain.ContextRenderer = (*Renderer)(nil)
)

// New checks the options, loads the logo and prepares the embedded font.
func New(opts Options) (*Renderer, error) {
	opts.University = clean(opts.University)
	opts.City = clean(opts.City)
	opts.SignerTitleFallback = clean(opts.SignerTitleFallback)
	opts.Address = clean(opts.Address)
	if opts.SignerTitleFallback == "" {
		opts.SignerTitleFallback = DefaultSignerTitle
	}
	if opts.University == "" {
		return nil, errors.New("render : le nom de l'université est obligatoire (Options.University)")
	}
	if opts.City == "" {
		return nil, errors.New("render : la ville de « Fait à » est obligatoire (Options.City)")
	}
	if err := loadFonts(); err != nil {
		return nil, fmt.Errorf("render : %w", err)
	}
	r := &Renderer{opts: opts}
	logo := opts.Logo
	if len(logo) == 0 && opts.LogoPath != "" {
		var err error
		if logo, err = os.ReadFile(opts.LogoPath); err != nil {
			return nil, fmt.Errorf("render : logo : %w", err)
		}
	}
	if len(logo) > 0 {
		if _, _, err := decodePicture(logo); err != nil {
			return nil, fmt.Errorf("render : logo %s : %w", opts.LogoPath, err)
		}
		r.logoData = logo
	}
	return r, nil
}

// texts is everything printed, cleaned, before layout.
type texts struct {
	university, presenter, name, birth, ine string
	label, year, mention, ects              string
	madeAt, signerTitle, signerName         string
	title, subject                          string
	reference, studentNo, holder            string
}

func (r *Renderer) texts(a domain.Attestation) (texts, error) {
	s := a.Student
	first := clean(s.FirstNames())
	last := strings.ToUpper(clean(s.LastName))
	if first == "" && last == "" {
		return texts{}, errors.New("render : l'étudiant n'a ni nom ni prénom")
	}
	label := clean(a.DiplomaLabel)
	if label == "" {
		return texts{}, fmt.Errorf("render : étudiant %s : libellé officiel du diplôme vide (R09)", s.Code)
	}
	if a.IssuedAt.IsZero() {
		return texts{}, fmt.Errorf("render : étudiant %s : date de l'attestation (IssuedAt) manquante", s.Code)
	}
	t := texts{
		university:  r.opts.University,
		name:        strings.TrimSpace(first + " " + last),
		ine:         clean(s.INE),
		label:       label,
		year:        clean(a.YearLabel),
		mention:     clean(a.Mention.Label),
		ects:        ects(clean(a.ECTS)),
		madeAt:      "Fait à " + r.opts.City + ", le " + FrenchDate(a.IssuedAt),
		signerTitle: clean(a.Signature.Title),
		signerName:  clean(a.Signature.Name),
		reference:   clean(a.Reference),
		studentNo:   clean(s.Code),
	}
	if t.mention == "" {
		t.mention = clean(a.Mention.Code)
	}
	if t.signerTitle == "" {
		t.signerTitle = r.opts.SignerTitleFallback
	}
	t.presenter = presenter(t.signerTitle, t.university) + " atteste que"
	born := "né(e)"
	t.holder = "l'intéressé(e)"
	switch strings.ToUpper(strings.TrimSpace(s.Sex)) { // Apogée's sexe
	case "M":
		born, t.holder = "né", "l'intéressé"
	case "F":
		born, t.holder = "née", "l'intéressée"
	}
	place := clean(s.BirthPlace)
	switch {
	case !s.BirthDate.IsZero() && place != "":
		t.birth = born + " le " + FrenchDate(s.BirthDate) + " à " + place
	case !s.BirthDate.IsZero():
		t.birth = born + " le " + FrenchDate(s.BirthDate)
	case place != "":
		t.birth = born + " à " + place
	}
	t.title = "Attestation de réussite — " + t.name
	t.subject = t.label
	if t.year != "" {
		t.subject += " — année universitaire " + t.year
	}
	return t, nil
}

// fields names every printed text, for pickFont and its messages.
func (t texts) fields(r *Renderer) map[string]string {
	return map[string]string{
		"université": t.university, "signataire": t.presenter + t.signerName,
		"nom de l'étudiant": t.name, "lieu de naissance": t.birth, "INE": t.ine,
		"libellé du diplôme": t.label, "année": t.year, "mention": t.mention,
		"ECTS": t.ects, "ville": t.madeAt, "adresse": r.opts.Address,
	}
}

// Layout, in millimetres on A4 (210 × 297).
const (
	margin    = 20.0
	pageW     = 210.0
	textW     = pageW - 2*margin
	lineH     = 7.0
	bodySize  = 12.0
	signX     = 100.0 // left edge of the "Fait à" and signature block
	signW     = pageW - margin - signX
	sigMaxW   = 60.0
	sigMaxH   = 28.0
	stampMax  = 28.0 // the official stamp, beside the signature: signX+sigMaxW+stampGap+stampMax = pageW-margin
	stampGap  = 2.0
	logoMaxW  = 50.0
	logoMaxH  = 24.0
	greyLevel = 90
	greyText  = 70
	qrSize    = 34.0 // mm: ~0.45 mm a module at version 15, read by any phone
	footerH   = 18.0
)

// Render writes the attestation as a PDF to w. An attestation without a signature
// image renders without it (the engine refuses such campaigns earlier, R16); an
// image that is not a readable PNG or JPEG is an error.
func (r *Renderer) Render(w io.Writer, a domain.Attestation) error {
	return r.RenderContext(context.Background(), w, a)
}

// RenderContext is Render whose signature (Options.Sign) ends with ctx.
func (r *Renderer) RenderContext(ctx context.Context, w io.Writer, a domain.Attestation) error {
	p, err := r.prepare(a)
	if err != nil {
		return err
	}
	t, font, sl := p.t, p.font, p.sl

	pdf := newDocument(a.IssuedAt, t.title, t.university)
	pdf.SetCompression(false) // page contents are compressed by finishPDF
	pdf.SetSubject(t.subject, true)
	keywords := ""
	if sl.token != "" {
		// `hypercerts verify FILE.pdf` reads the token here (the QR code carries the same).
		keywords = keywordPrefix + sl.token
		pdf.SetKeywords(keywords, false)
	}
	pdf.SetXmpMetadata(xmpPacket(t.title, t.university, t.subject, keywords, "hypercerts", producer, a.IssuedAt))
	pdf.SetAutoPageBreak(true, margin)
	font.install(pdf)
	pdf.AddPage()

	if err := r.drawPage(pdf, p); err != nil {
		return err
	}
	faces, err := font.detach(pdf)
	if err != nil {
		return fmt.Errorf("render : étudiant %s : %w", a.Student.Code, err)
	}
	pdf.Close()
	if err := pdf.Error(); err != nil {
		return fmt.Errorf("render : étudiant %s : %w", a.Student.Code, err)
	}
	raw := bufs.Get().(*bytes.Buffer)
	defer bufs.Put(raw)
	raw.Reset()
	if err := pdf.Output(raw); err != nil {
		return fmt.Errorf("render : écriture du PDF : %w", err)
	}
	doc := bufs.Get().(*bytes.Buffer)
	defer bufs.Put(doc)
	doc.Reset()
	if err := finishPDF(raw.Bytes(), doc, faces); err != nil {
		return err
	}
	out := doc.Bytes()
	if r.opts.Sign != nil {
		if out, err = r.opts.Sign(ctx, out); err != nil {
			return fmt.Errorf("render : étudiant %s : signature du PDF : %w", a.Student.Code, err)
		}
	}
	if _, err := w.Write(out); err != nil {
		return fmt.Errorf("render : écriture du PDF : %w", err)
	}
	return nil
}

// page is what one attestation's page needs, read and checked before any drawing.
type page struct {
	a                domain.Attestation
	t                texts
	font             *preparedFont // the smallest font that has every character of the page
	logo, sig, stamp *picture
	sl               seal
}

// logoPicture is the logo (nil without one), prepared at the first page.
func (r *Renderer) logoPicture() (*picture, error) {
	r.logoOnce.Do(func() {
		if r.logoData != nil {
			r.logo, r.logoErr = pictures.get(r.logoData)
		}
	})
	return r.logo, r.logoErr
}

// prepare reads and checks what a's page needs (Render's only page, or one page of a
// print batch).
func (r *Renderer) prepare(a domain.Attestation) (page, error) {
	t, err := r.texts(a)
	if err != nil {
		return page{}, err
	}
	font, err := pickFont(t.fields(r))
	if err != nil {
		return page{}, fmt.Errorf("render : étudiant %s : %w", a.Student.Code, err)
	}
	logo, err := r.logoPicture()
	if err != nil {
		return page{}, fmt.Errorf("render : logo %s : %w", r.opts.LogoPath, err)
	}
	sig, stamp, err := r.pictures(a)
	if err != nil {
		return page{}, err
	}
	sl, err := r.seal(a)
	if err != nil {
		return page{}, err
	}
	return page{a: a, t: t, font: font, logo: logo, sig: sig, stamp: stamp, sl: sl}, nil
}

// newDocument starts an A4 PDF with the metadata every hypercerts PDF carries, dated at
// (dates fixed by the content: the same input gives the same bytes).
func newDocument(at time.Time, title, author string) *fpdf.Fpdf {
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetCatalogSort(true)
	pdf.SetCreationDate(at)
	pdf.SetModificationDate(at)
	pdf.SetTitle(title, true)
	pdf.SetAuthor(author, true)
	pdf.SetCreator("hypercerts", true)
	pdf.SetProducer(producer, true)
	pdf.SetLang("fr-FR")
	pdf.SetMargins(margin, margin, margin)
	return pdf
}

// pictures reads the signature image and the official stamp of a (either may be absent).
func (r *Renderer) pictures(a domain.Attestation) (sig, stamp *picture, err error) {
	if len(a.Signature.Image) > 0 {
		if sig, err = pictures.get(a.Signature.Image); err != nil {
			return nil, nil, fmt.Errorf("render : image de signature de %s : %w", a.Signature.Name, err)
		}
	}
	if len(a.Signature.Stamp) > 0 {
		if stamp, err = pictures.get(a.Signature.Stamp); err != nil {
			return nil, nil, fmt.Errorf("render : tampon officiel de %s : %w", a.Signature.Name, err)
		}
	}
	return sig, stamp, nil
}

// drawPage lays one attestation out on the page just added to pdf (Render's only
// page, or one page of a print batch), footer included.
func (r *Renderer) drawPage(pdf *fpdf.Fpdf, p page) error {
	a, t, sig, stamp, sl := p.a, p.t, p.sig, p.stamp, p.sl
	// Header: logo left, university right (or centred without a logo).
	top := margin
	if p.logo != nil {
		w, h := fit(p.logo, logoMaxW, logoMaxH)
		r.image(pdf, p.logo, margin, top, w, h)
		pdf.SetXY(margin+w+5, top+h/2-4)
		setFont(pdf, true, 14)
		pdf.MultiCell(pageW-margin-(margin+w+5), 7, t.university, "", "R", false)
		pdf.SetY(max(pdf.GetY(), top+h) + 6)
	} else {
		pdf.SetXY(margin, top+4)
		setFont(pdf, true, 14)
		pdf.MultiCell(textW, 7, t.university, "", "C", false)
		pdf.Ln(6)
	}
	setFont(pdf, false, bodySize)
	pdf.SetDrawColor(greyLevel, greyLevel, greyLevel)
	pdf.SetLineWidth(0.3)
	pdf.Line(margin, pdf.GetY(), pageW-margin, pdf.GetY())

	// Title.
	pdf.Ln(16)
	setFont(pdf, true, 22)
	pdf.CellFormat(textW, 12, "Attestation de réussite", "", 1, "C", false, 0, "")
	if t.reference != "" {
		setFont(pdf, false, 10)
		pdf.SetTextColor(greyText, greyText, greyText)
		pdf.CellFormat(textW, 6, "Référence "+t.reference, "", 1, "C", false, 0, "")
		pdf.SetTextColor(0, 0, 0)
		pdf.Ln(8)
	} else {
		pdf.Ln(14)
	}

	// Body.
	setFont(pdf, false, bodySize)
	pdf.MultiCell(textW, lineH, t.presenter, "", "C", false)
	pdf.Ln(4)
	setFont(pdf, true, 15)
	pdf.MultiCell(textW, 8, t.name, "", "C", false)
	setFont(pdf, false, bodySize)
	if t.birth != "" {
		pdf.MultiCell(textW, lineH, t.birth, "", "C", false)
	}
	switch {
	case t.ine != "" && t.studentNo != "":
		pdf.MultiCell(textW, lineH, "INE : "+t.ine+"   —   N° étudiant : "+t.studentNo, "", "C", false)
	case t.ine != "":
		pdf.MultiCell(textW, lineH, "INE : "+t.ine, "", "C", false)
	case t.studentNo != "":
		pdf.MultiCell(textW, lineH, "N° étudiant : "+t.studentNo, "", "C", false)
	}
	pdf.Ln(5)
	pdf.MultiCell(textW, lineH, "a obtenu le diplôme", "", "C", false)
	pdf.Ln(1)
	setFont(pdf, true, 13)
	pdf.MultiCell(textW, lineH, t.label, "", "C", false)
	setFont(pdf, false, bodySize)
	pdf.Ln(1)
	if t.year != "" {
		pdf.MultiCell(textW, lineH, "au titre de l'année universitaire "+t.year, "", "C", false)
	}
	pdf.Ln(5)
	if t.mention != "" {
		pdf.MultiCell(textW, lineH, "Mention : "+t.mention, "", "C", false)
	}
	if t.ects != "" {
		pdf.MultiCell(textW, lineH, "Crédits européens : "+t.ects+" ECTS", "", "C", false)
	}
	pdf.Ln(10)
	pdf.MultiCell(textW, lineH, "La présente attestation est délivrée à "+t.holder+" pour servir et valoir ce que de droit.", "", "L", false)

	// "Fait à", signer, signature; the QR code on the left.
	pdf.Ln(12)
	if sl.qr != "" {
		y := pdf.GetY()
		if y+qrSize > 297-footerH-margin {
			pdf.AddPage()
			y = pdf.GetY()
		}
		if err := drawQR(pdf, sl.qr, margin, y, qrSize); err != nil {
			return fmt.Errorf("render : étudiant %s : %w", a.Student.Code, err)
		}
	}
	pdf.SetX(signX)
	pdf.MultiCell(signW, lineH, t.madeAt, "", "L", false)
	pdf.Ln(4)
	pdf.SetX(signX)
	pdf.MultiCell(signW, lineH, t.signerTitle, "", "L", false)
	if sig != nil || stamp != nil {
		// The signature, then the official stamp beside it on its right.
		var w, h, sw, sh float64
		if sig != nil {
			w, h = fit(sig, sigMaxW, sigMaxH)
		}
		if stamp != nil {
			sw, sh = fit(stamp, stampMax, stampMax)
		}
		bh := max(h, sh)
		if pdf.GetY()+bh+lineH > 297-margin {
			pdf.AddPage()
		}
		y := pdf.GetY() + 2
		if sig != nil {
			r.image(pdf, sig, signX, y, w, h)
		}
		if stamp != nil {
			x := signX
			if sig != nil {
				x += w + stampGap
			}
			r.image(pdf, stamp, x, y+(bh-sh)/2, sw, sh)
		}
		pdf.SetY(pdf.GetY() + bh + 4)
	} else {
		pdf.Ln(lineH * 3)
	}
	if t.signerName != "" {
		pdf.SetX(signX)
		setFont(pdf, true, bodySize)
		pdf.MultiCell(signW, lineH, t.signerName, "", "L", false)
	}

	r.footer(pdf, t, sl)
	return nil
}

// bufs recycles the output buffers of Render (two per document).
var bufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}

const producer = "hypercerts (go-pdf/fpdf)"

// keywordPrefix marks the token in the PDF's Keywords.
const keywordPrefix = "hypercerts-jeton:"

// footer prints, at the foot of the last page, the verification note, the university's
// address and the reference.
func (r *Renderer) footer(pdf *fpdf.Fpdf, t texts, sl seal) {
	pdf.SetAutoPageBreak(false, 0)
	y := 297 - margin/2 - footerH
	pdf.SetDrawColor(greyLevel, greyLevel, greyLevel)
	pdf.SetLineWidth(0.2)
	pdf.Line(margin, y, pageW-margin, y)
	pdf.SetY(y + 1.5)
	setFont(pdf, false, 8)
	pdf.SetTextColor(greyText, greyText, greyText)
	if sl.qr != "" {
		note := "Vérifiez cette attestation : scannez le QR code ou lancez « hypercerts verify » sur ce fichier."
		if r.opts.VerifyURL != "" {
			note = "Vérifiez cette attestation : scannez le QR code ou ouvrez " + r.opts.VerifyURL
		}
		pdf.CellFormat(textW, 4.5, note, "", 1, "C", false, 0, "")
	}
	line := t.university
	if r.opts.Address != "" {
		line += " — " + r.opts.Address
	}
	pdf.CellFormat(textW, 4.5, line, "", 1, "C", false, 0, "")
	if t.reference != "" {
		pdf.CellFormat(textW, 4.5, "Attestation n° "+t.reference, "", 1, "C", false, 0, "")
	}
	pdf.SetTextColor(0, 0, 0)
}

// setFont selects DejaVu Sans or DejaVu Sans Bold at size points.
func setFont(pdf *fpdf.Fpdf, bold bool, size float64) {
	style := ""
	if bold {
		style = "B"
	}
	pdf.SetFont(fontFamily, style, size)
}

// image places p at (x, y), w × h millimetres.
func (r *Renderer) image(pdf *fpdf.Fpdf, p *picture, x, y, w, h float64) {
	opt := fpdf.ImageOptions{ImageType: p.kind}
	if pdf.GetImageInfo(p.name) == nil {
		var info *fpdf.ImageInfoType
		if fastFonts && p.info != nil {
			// fpdf's reading of the image, made once; each document gets its own copy,
			// as fpdf writes the image's object number into it.
			c := *p.info
			info = &c
			field(reflect.ValueOf(pdf).Elem(), "images").SetMapIndex(reflect.ValueOf(p.name), reflect.ValueOf(info))
		} else {
			info = pdf.RegisterImageOptionsReader(p.name, opt, bytes.NewReader(p.data))
		}
		if fpdfShape && info != nil {
			// fpdf writes the images sorted by width alone (SetCatalogSort), those of one
			// width in map order: the picture's tie (below one pixel) orders them. /Width
			// is written truncated, and the images are drawn at the size given here.
			w := field(reflect.ValueOf(info).Elem(), "w")
			w.SetFloat(math.Floor(w.Float()) + p.tie)
		}
	}
	pdf.ImageOptions(p.name, x, y, w, h, false, opt, 0, "")
}

// fit scales p into maxW × maxH millimetres, keeping its proportions.
func fit(p *picture, maxW, maxH float64) (w, h float64) {
	w, h = maxW, maxW*float64(p.h)/float64(p.w)
	if h > maxH {
		w, h = maxH*float64(p.w)/float64(p.h), maxH
	}
	return w, h
}
