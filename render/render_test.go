package render

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"hypercerts/domain"
	"hypercerts/internal/testenv"
)

var update = flag.Bool("update", false, "rewrite the golden PDFs in testdata/")

var paris = time.FixedZone("CET", 3600)

// signaturePNG draws a small signature-like stroke with a transparent background.
func signaturePNG(t testing.TB) []byte {
	img := image.NewNRGBA(image.Rect(0, 0, 240, 90))
	ink := color.NRGBA{R: 20, G: 30, B: 110, A: 255}
	for x := 10; x < 230; x++ {
		y := 45 + int(25*sinApprox(float64(x)/18))
		for d := -2; d <= 2; d++ {
			img.SetNRGBA(x, y+d, ink)
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// sinApprox is a cheap deterministic wave (Bhaskara), enough for a scribble.
func sinApprox(x float64) float64 {
	const pi = 3.141592653589793
	for x > pi {
		x -= 2 * pi
	}
	sign := 1.0
	if x < 0 {
		x, sign = -x, -1
	}
	return sign * 16 * x * (pi - x) / (5*pi*pi - 4*x*(pi-x))
}

func signatureJPEG(t testing.TB) []byte {
	img, err := png.Decode(bytes.NewReader(signaturePNG(t)))
	if err != nil {
		t.Fatal(err)
	}
	white := image.NewRGBA(img.Bounds())
	draw.Draw(white, white.Bounds(), image.White, image.Point{}, draw.Src)
	draw.Draw(white, white.Bounds(), img, image.Point{}, draw.Over)
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, white, &jpeg.Options{Quality: 80}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func sample(t testing.TB) domain.Attestation {
	return domain.Attestation{
		Student: domain.Student{
			Code: "21900042", IndividualCode: "1234567", INE: "0123456789A",
			LastName: "N'Diaye", FirstName1: "Élodie", FirstName2: "Marie-Hélène",
			BirthDate:  time.Date(2001, 3, 1, 0, 0, 0, 0, time.UTC),
			BirthPlace: "Saint-Étienne",
		},
		DiplomaLabel: "Licence Sciences, technologies, santé mention Mathématiques parcours Mathématiques fondamentales",
		YearLabel:    "2024-2025",
		Mention:      domain.Mention{Code: "AB", Label: "Assez bien"},
		ECTS:         "180.0",
		Signature: domain.Signature{Code: "PRES", Name: "Jean-François Lemaître",
			Title: "Le Président de l'Université", Image: signaturePNG(t)},
		IssuedAt: time.Date(2026, 11, 23, 10, 30, 0, 0, paris),
	}
}

func newRenderer(t testing.TB) *Renderer {
	r, err := New(Options{University: "Université de Démo", City: "Lyon"})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func render(t testing.TB, r *Renderer, a domain.Attestation) []byte {
	var buf bytes.Buffer
	if err := r.Render(&buf, a); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func needTool(t *testing.T, name string) {
	t.Helper()
	testenv.Need(t, name)
}

// pdfText runs pdftotext on pdf and folds whitespace.
func pdfText(t *testing.T, pdf []byte) string {
	t.Helper()
	needTool(t, "pdftotext")
	path := filepath.Join(t.TempDir(), "a.pdf")
	if err := os.WriteFile(path, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdftotext", "-enc", "UTF-8", path, "-").CombinedOutput()
	if err != nil {
		t.Fatalf("pdftotext: %v\n%s", err, out)
	}
	return strings.Join(strings.Fields(string(out)), " ")
}

func qpdfCheck(t *testing.T, pdf []byte) {
	t.Helper()
	needTool(t, "qpdf")
	path := filepath.Join(t.TempDir(), "a.pdf")
	if err := os.WriteFile(path, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("qpdf", "--check", path).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "No syntax or stream encoding errors") {
		t.Fatalf("qpdf --check: %v\n%s", err, out)
	}
}

func TestRenderText(t *testing.T) {
	pdf := render(t, newRenderer(t), sample(t))
	text := pdfText(t, pdf)
	for _, want := range []string{
		"Université de Démo",
		"Attestation de réussite",
		"Le Président de l'Université de Démo atteste que",
		"Élodie Marie-Hélène N'DIAYE",
		"né(e) le 1er mars 2001 à Saint-Étienne",
		"INE : 0123456789A",
		// R09: commas and capitals as stored
		"Licence Sciences, technologies, santé mention Mathématiques parcours Mathématiques fondamentales",
		"au titre de l'année universitaire 2024-2025",
		"Mention : Assez bien",
		"Crédits européens : 180 ECTS",
		"Fait à Lyon, le 23 novembre 2026",
		"Jean-François Lemaître",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("missing %q in:\n%s", want, text)
		}
	}
	qpdfCheck(t, pdf)
	// Two subset faces (regular and bold), padded with the letters and digits of any
	// name so that subsets are kept and shared (embed.go): about 10 KB more than exact subsets.
	if n := len(pdf); n > 56<<10 {
		t.Errorf("PDF is %d bytes, want ≤ 56 KB", n)
	}
}

// Every kind of name of DEMO-DATA.md prints, whatever script it comes from.
func TestRenderDemoNames(t *testing.T) {
	r := newRenderer(t)
	for _, c := range []struct{ first1, first2, last, place, wantName string }{
		{"Loïc", "Noël", "de La Fontaine", "Besançon", "Loïc Noël DE LA FONTAINE"},
		{"Anaïs", "", "D'Almeida", "", "Anaïs D'ALMEIDA"},
		{"Jean-Baptiste", "", "N'Diaye", "Dakar (Sénégal)", "Jean-Baptiste N'DIAYE"},
		{"Łukasz", "", "Wiśniewski", "Łódź (Pologne)", "Łukasz WIŚNIEWSKI"},
		{"Şeyma", "", "Yılmaz", "İstanbul (Turquie)", "Şeyma YILMAZ"},
		{"Thị Thu", "", "Nguyễn", "Hà Nội (Viêt Nam)", "Thị Thu NGUYỄN"},
		{"Zoë", "Œdipe", "Lefèvre–Cœur", "L’Haÿ-les-Roses", "Zoë Œdipe LEFÈVRE–CŒUR"},
		{"Νίκος", "", "Παπαδόπουλος", "Αθήνα", "Νίκος ΠΑΠΑΔΌΠΟΥΛΟΣ"}, // full font path
		{"Ольга", "", "Иванова", "Москва", "Ольга ИВАНОВА"},
	} {
		t.Run(c.wantName, func(t *testing.T) {
			a := sample(t)
			a.Student.FirstName1, a.Student.FirstName2 = c.first1, c.first2
			a.Student.LastName, a.Student.BirthPlace = c.last, c.place
			pdf := render(t, r, a)
			text := pdfText(t, pdf)
			if !strings.Contains(text, c.wantName) {
				t.Errorf("name %q missing in:\n%s", c.wantName, text)
			}
			if c.place != "" && !strings.Contains(text, " à "+c.place) {
				t.Errorf("birth place %q missing in:\n%s", c.place, text)
			}
			qpdfCheck(t, pdf)
		})
	}
}

// Decomposed accents (NFD, as some sources hand them) print as the composed letters.
func TestRenderDecomposedAccents(t *testing.T) {
	a := sample(t)
	a.Student.FirstName1, a.Student.FirstName2 = "E\u0301lodie", ""
	text := pdfText(t, render(t, newRenderer(t), a))
	if !strings.Contains(text, "Élodie N'DIAYE") {
		t.Errorf("composed name missing in:\n%s", text)
	}
}

func TestRenderOptionalParts(t *testing.T) {
	a := sample(t)
	a.Student.BirthPlace = ""
	a.Mention = domain.Mention{}
	a.ECTS = ""
	a.Student.INE = ""
	a.Signature.Image = nil // missing image: rendered without it
	pdf := render(t, newRenderer(t), a)
	text := pdfText(t, pdf)
	if !strings.Contains(text, "né(e) le 1er mars 2001 N° étudiant : 21900042 a obtenu") {
		t.Errorf("birth without place wrong in:\n%s", text)
	}
	for _, absent := range []string{" à Saint", "Mention", "ECTS", "INE"} {
		if strings.Contains(text, absent) {
			t.Errorf("%q printed though unknown:\n%s", absent, text)
		}
	}
	qpdfCheck(t, pdf)
}

func TestRenderSignerTitle(t *testing.T) {
	for _, c := range []struct{ title, fallback, want string }{
		{"Le Président de l'Université", "", "Le Président de l'Université de Démo atteste que"},
		{"", "", "Le Président de l'Université de Démo atteste que"},
		{"", "La Présidente de l'Université", "La Présidente de l'Université de Démo atteste que"},
		{"La Présidente de l'Université de Démo", "", "La Présidente de l'Université de Démo atteste que"},
		{"L'Administrateur provisoire", "", "L'Administrateur provisoire, Université de Démo, atteste que"},
	} {
		r, err := New(Options{University: "Université de Démo", City: "Lyon", SignerTitleFallback: c.fallback})
		if err != nil {
			t.Fatal(err)
		}
		a := sample(t)
		a.Signature.Title = c.title
		if text := pdfText(t, render(t, r, a)); !strings.Contains(text, c.want) {
			t.Errorf("title %q: want %q in:\n%s", c.title, c.want, text)
		}
	}
}

func TestRenderMetadata(t *testing.T) {
	pdf := render(t, newRenderer(t), sample(t))
	needTool(t, "pdfinfo")
	path := filepath.Join(t.TempDir(), "a.pdf")
	if err := os.WriteFile(path, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdfinfo", "-enc", "UTF-8", path).CombinedOutput()
	if err != nil {
		t.Fatalf("pdfinfo: %v\n%s", err, out)
	}
	info := string(out)
	for _, re := range []string{
		`(?m)^Title:\s+Attestation de réussite — Élodie Marie-Hélène N'DIAYE$`,
		`(?m)^Author:\s+Université de Démo$`,
		`(?m)^Subject:\s+Licence Sciences, technologies, santé .* — année universitaire 2024-2025$`,
		`(?m)^Creator:\s+hypercerts$`,
		`(?m)^Pages:\s+1$`,
		`(?m)^Page size:\s+595.28 x 841.89 pts \(A4\)`,
		`(?m)^CreationDate:\s+.*2026`,
	} {
		if !regexp.MustCompile(re).MatchString(info) {
			t.Errorf("pdfinfo lacks %s:\n%s", re, info)
		}
	}
}

func TestRenderDeterministic(t *testing.T) {
	a := sample(t)
	one := render(t, newRenderer(t), a)
	two := render(t, newRenderer(t), a)
	if !bytes.Equal(one, two) {
		t.Fatal("same attestation rendered twice gives different bytes")
	}
	a.IssuedAt = a.IssuedAt.Add(24 * time.Hour)
	if bytes.Equal(one, render(t, newRenderer(t), a)) {
		t.Fatal("a different date gives the same bytes")
	}
}

// The fast font path (fonts parsed once, embedded from kept subsets, embed.go) prints
// exactly what fpdf's public API prints: same text, same pixels. (The bytes differ:
// the fast path's subsets are padded and its font objects come last.)
func TestFastPathSamePage(t *testing.T) {
	r := newRenderer(t) // loads the fonts, which decides fastFonts
	if !fastFonts {
		t.Fatal("fpdf's font structures are not the expected ones: every PDF takes the slow path (see fonts.go)")
	}
	needTool(t, "pdftoppm")
	for _, last := range []string{"N'Diaye", "Wiśniewska", "Παπαδόπουλος"} {
		a := sample(t)
		a.Student.LastName = last
		fast := render(t, r, a)
		if !bytes.Contains(fast, []byte("DejaVuSans-Bold")) || bytes.Contains(fast, []byte("/utf8dejavu")) {
			t.Fatalf("%s: fonts not named as subsets", last)
		}
		fastFonts = false
		slow := render(t, r, a)
		fastFonts = true
		if bytes.Equal(fast, slow) {
			t.Fatalf("%s: same bytes: the fast path was not taken", last)
		}
		qpdfCheck(t, fast)
		if ft, st := pdfText(t, fast), pdfText(t, slow); ft != st {
			t.Errorf("%s: text differs:\n%s\n---\n%s", last, ft, st)
		}
		if !bytes.Equal(raster(t, fast), raster(t, slow)) {
			t.Errorf("%s: the fast path's page does not look like fpdf's", last)
		}
	}
}

// raster is the first page of pdf as a 100 dpi grey image (PGM).
func raster(t *testing.T, pdf []byte) []byte {
	t.Helper()
	path := filepath.Join(t.TempDir(), "a.pdf")
	if err := os.WriteFile(path, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdftoppm", "-r", "100", "-gray", "-f", "1", "-l", "1", path).Output()
	if err != nil {
		t.Fatalf("pdftoppm: %v", err)
	}
	return out
}

// Attestations of different students, references and birth places embed the same
// kept subsets (no font work per document); a rarer letter makes another set.
func TestEmbeddedFacesShared(t *testing.T) {
	r := newRenderer(t)
	facesOf := func(a domain.Attestation) []*embeddedFace {
		t.Helper()
		p, err := r.prepare(a)
		if err != nil {
			t.Fatal(err)
		}
		pdf := newDocument(a.IssuedAt, p.t.title, p.t.university)
		p.font.install(pdf)
		pdf.AddPage()
		if err := r.drawPage(pdf, p); err != nil {
			t.Fatal(err)
		}
		faces, err := p.font.detach(pdf)
		if err != nil {
			t.Fatal(err)
		}
		if len(faces) != 2 {
			t.Fatalf("%d faces, want regular and bold", len(faces))
		}
		return faces
	}
	a, b := sample(t), sample(t)
	b.Student = domain.Student{Code: "21999999", INE: "9ZYXW87654V", LastName: "Kowalczyk", FirstName1: "Quentin",
		BirthPlace: "Bourg-en-Bresse", BirthDate: time.Date(2002, 7, 14, 0, 0, 0, 0, time.UTC)}
	b.Reference = "7K3M-9QX2-PA4"
	fa, fb := facesOf(a), facesOf(b)
	if fa[0] != fb[0] || fa[1] != fb[1] {
		t.Error("two ordinary attestations do not share their embedded subsets")
	}
	c := sample(t)
	c.Student.LastName = "Wiśniewska"
	if fc := facesOf(c); fc[1] == fa[1] {
		t.Error("a name with ś shares the bold subset of names without it")
	}
}

func TestGolden(t *testing.T) {
	logo := signatureJPEG(t)
	withLogo, err := New(Options{University: "Université de Démo", City: "Lyon", Logo: logo})
	if err != nil {
		t.Fatal(err)
	}
	jpegSig := sample(t)
	jpegSig.Signature.Image = signatureJPEG(t)
	nguyen := sample(t)
	nguyen.Student = domain.Student{Code: "22100007", INE: "1A2B3C4D5E6", LastName: "Nguyễn",
		FirstName1: "Thị Thu", BirthDate: time.Date(2003, 12, 31, 0, 0, 0, 0, time.UTC)}
	nguyen.Mention = domain.Mention{Code: "TB", Label: "Très bien"}
	nguyen.ECTS = "60"
	nguyen.DiplomaLabel = "Master Droit, économie, gestion mention Droit des affaires parcours Droit bancaire et financier"
	for name, c := range map[string]struct {
		r *Renderer
		a domain.Attestation
	}{
		"attestation":      {newRenderer(t), sample(t)},
		"attestation-logo": {withLogo, jpegSig},
		"attestation-vi":   {newRenderer(t), nguyen},
	} {
		t.Run(name, func(t *testing.T) {
			got := render(t, c.r, c.a)
			path := filepath.Join("testdata", name+".pdf")
			if *update {
				if err := os.MkdirAll("testdata", 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./render -run TestGolden -update)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from the golden file (%d vs %d bytes); if the change is wanted, run with -update and look at the PDF", path, len(got), len(want))
			}
			qpdfCheck(t, got)
		})
	}
}

func TestRenderErrors(t *testing.T) {
	r := newRenderer(t)
	for name, c := range map[string]struct {
		edit func(*domain.Attestation)
		want string
	}{
		"GIF signature": {func(a *domain.Attestation) { a.Signature.Image = []byte("GIF89a\x01\x00\x01\x00") }, "PNG ou JPEG attendu"},
		"corrupt PNG":   {func(a *domain.Attestation) { a.Signature.Image = signaturePNG(t)[:60] }, "image PNG illisible"},
		"corrupt JPEG":  {func(a *domain.Attestation) { a.Signature.Image = signatureJPEG(t)[:200] }, "image JPEG illisible"},
		"no label":      {func(a *domain.Attestation) { a.DiplomaLabel = " " }, "libellé officiel du diplôme vide"},
		"no date":       {func(a *domain.Attestation) { a.IssuedAt = time.Time{} }, "IssuedAt"},
		"no name": {func(a *domain.Attestation) {
			a.Student.FirstName1, a.Student.FirstName2, a.Student.LastName = "", "", ""
		}, "ni nom ni prénom"},
		"CJK name": {func(a *domain.Attestation) { a.Student.LastName = "王" }, "« 王 » (U+738B) n'existe pas dans la police"},
	} {
		t.Run(name, func(t *testing.T) {
			a := sample(t)
			c.edit(&a)
			var buf bytes.Buffer
			err := r.Render(&buf, a)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want it to contain %q", err, c.want)
			}
			if buf.Len() != 0 {
				t.Errorf("%d bytes written despite the error", buf.Len())
			}
		})
	}
	if !errors.Is(func() error { _, err := preparePicture([]byte("GIF89a")); return err }(), ErrImageFormat) {
		t.Error("GIF is not ErrImageFormat")
	}
}

func TestNewErrors(t *testing.T) {
	for _, c := range []struct {
		opts Options
		want string
	}{
		{Options{City: "Lyon"}, "Options.University"},
		{Options{University: "Université de Démo"}, "Options.City"},
		{Options{University: "U", City: "Lyon", LogoPath: "/nonexistent/logo.png"}, "logo"},
		{Options{University: "U", City: "Lyon", Logo: []byte("not an image")}, "PNG ou JPEG attendu"},
		// A truncated logo fails at start-up although it is prepared at the first page.
		{Options{University: "U", City: "Lyon", Logo: DemoLogo()[:len(DemoLogo())/2]}, "image PNG illisible"},
	} {
		if _, err := New(c.opts); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("New(%+v) = %v, want an error containing %q", c.opts, err, c.want)
		}
	}
}

// Concurrent renders share the parsed font and the picture cache (run with -race).
func TestRenderConcurrent(t *testing.T) {
	r := newRenderer(t)
	want := render(t, r, sample(t))
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 5; i++ {
				var buf bytes.Buffer
				if err := r.Render(&buf, sample(t)); err != nil {
					errs <- err
					return
				}
				if !bytes.Equal(buf.Bytes(), want) {
					errs <- fmt.Errorf("goroutine %d: different bytes", g)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestFrenchDate(t *testing.T) {
	for in, want := range map[time.Time]string{
		time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC): "23 novembre 2026",
		time.Date(2001, 3, 1, 0, 0, 0, 0, time.UTC):   "1er mars 2001",
		time.Date(2025, 8, 15, 0, 0, 0, 0, time.UTC):  "15 août 2025",
		time.Date(2024, 2, 2, 0, 0, 0, 0, time.UTC):   "2 février 2024",
	} {
		if got := FrenchDate(in); got != want {
			t.Errorf("FrenchDate(%s) = %q, want %q", in.Format(time.DateOnly), got, want)
		}
	}
}

func TestECTS(t *testing.T) {
	for in, want := range map[string]string{"180": "180", "180.0": "180", "60,00": "60", "7.5": "7,5", "n/a": "n/a"} {
		if got := ects(in); got != want {
			t.Errorf("ects(%q) = %q, want %q", in, got, want)
		}
	}
}

// BenchmarkRender renders one attestation per iteration with a signature image, as a
// campaign does. Figures go in docs/render.md.
func BenchmarkRender(b *testing.B) {
	r := newRenderer(b)
	a := sample(b)
	benchRender(b, r, a)
}

// benchRender renders a in a loop and reports PDFs per second, bytes per PDF and the
// process's CPU time per PDF (user + system, garbage collection included: what a
// loaded machine blurs least).
func benchRender(b *testing.B, r *Renderer, a domain.Attestation) {
	b.Helper()
	b.ReportAllocs()
	var size int
	cpu0 := processCPU(b)
	for b.Loop() {
		var buf bytes.Buffer
		if err := r.Render(&buf, a); err != nil {
			b.Fatal(err)
		}
		size = buf.Len()
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pdf/s")
	b.ReportMetric(float64(size), "bytes/pdf")
	b.ReportMetric(float64((processCPU(b)-cpu0).Microseconds())/float64(b.N), "cpu_µs/pdf")
}

// processCPU is the CPU time the process has used (user + system).
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkRenderParallel is BenchmarkRender on every core (-cpu 1,2 to compare).
func BenchmarkRenderParallel(b *testing.B) {
	r := newRenderer(b)
	a := sample(b)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			var buf bytes.Buffer
			if err := r.Render(&buf, a); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pdf/s")
}

// BenchmarkRenderFullFont is a name outside the Latin cut (Greek): the slow font path.
func BenchmarkRenderFullFont(b *testing.B) {
	r := newRenderer(b)
	a := sample(b)
	a.Student.LastName = "Παπαδόπουλος"
	benchRender(b, r, a)
}

// BenchmarkRenderNaive is what a plain fpdf program does: parse the whole TrueType
// font for every document (AddUTF8FontFromBytes). For comparison only.
func BenchmarkRenderNaive(b *testing.B) {
	r := newRenderer(b)
	a := sample(b)
	full, err := fullCut.get()
	if err != nil {
		b.Fatal(err)
	}
	savedCore, fast := coreFont, fastFonts
	coreFont, fastFonts = full, false // the whole font covers all: no other cut is looked at
	defer func() { coreFont, fastFonts = savedCore, fast }()
	benchRender(b, r, a)
}

// A very long label (R09 joins six columns) wraps and may push the signature to a
// second page, but nothing is lost.
func TestRenderLongLabel(t *testing.T) {
	a := sample(t)
	a.DiplomaLabel = strings.Repeat("Licence Sciences, technologies, santé mention Mathématiques, ", 12) + "parcours Fin"
	pdf := render(t, newRenderer(t), a)
	text := pdfText(t, pdf)
	for _, want := range []string{"parcours Fin", "Fait à Lyon, le 23 novembre 2026", "Jean-François Lemaître"} {
		if !strings.Contains(text, want) {
			t.Errorf("missing %q in:\n%s", want, text)
		}
	}
	qpdfCheck(t, pdf)
}

// Apogée's sexe genders the page: « né le / née le », « l'intéressé / l'intéressée »;
// unknown keeps « né(e) ».
func TestRenderGenderedForms(t *testing.T) {
	r := newRenderer(t)
	for sex, want := range map[string][]string{
		"F": {"née le 1er mars 2001", "délivrée à l'intéressée pour"},
		"M": {"né le 1er mars 2001", "délivrée à l'intéressé pour"},
		"":  {"né(e) le 1er mars 2001", "délivrée à l'intéressé(e) pour"},
	} {
		a := sample(t)
		a.Student.Sex = sex
		text := pdfText(t, render(t, r, a))
		for _, w := range want {
			if !strings.Contains(text, w) {
				t.Errorf("sex %q: no %q in:\n%s", sex, w, text)
			}
		}
	}
}
