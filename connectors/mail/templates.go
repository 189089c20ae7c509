package mail

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	texttemplate "text/template"
	"time"

	"hypercerts/domain"
)

//go:embed templates/*.tmpl
var embedded embed.FS

// kinds are the four mails of R17, in the order the docs list them.
var kinds = []domain.MailKind{
	domain.MailCampaignCreated,
	domain.MailCampaignFinished,
	domain.MailVaultOpened,
	domain.MailAttestation,
	domain.MailPreviewExport,
}

// Template file names. Each kind has three files; common.* hold the shared pieces
// ("banner", "footer", "campaign" in text; "head", "foot", "campaign" in HTML).
const (
	commonText = "common.txt.tmpl"
	commonHTML = "common.html.tmpl"
)

func subjectFile(k domain.MailKind) string { return string(k) + ".subject.tmpl" }
func textFile(k domain.MailKind) string    { return string(k) + ".txt.tmpl" }
func htmlFile(k domain.MailKind) string    { return string(k) + ".html.tmpl" }

// TemplateNames lists every template file a university may override.
func TemplateNames() []string {
	names := []string{commonText, commonHTML}
	for _, k := range kinds {
		names = append(names, subjectFile(k), textFile(k), htmlFile(k))
	}
	sort.Strings(names)
	return names
}

// Templates renders the four mails of R17: a subject (text/template, one line), a
// text/plain body (text/template) and a text/html body (html/template, escaped).
// A *Templates is safe for concurrent use.
type Templates struct {
	text   *texttemplate.Template
	html   *htmltemplate.Template
	origin map[string]string // file name → where it came from (for error messages)
	// definedIn: template name ("banner", "head"…) → file that defines it, per set.
	textDefinedIn, htmlDefinedIn map[string]string
}

// LoadTemplates loads the embedded French templates, then replaces by name those found
// in overrideDir (empty: embedded only). Only *.tmpl files are read; an unknown name,
// a template that does not parse or that fails on sample data is reported with its
// file name, so a broken override is caught at start-up and not at the first send.
func LoadTemplates(overrideDir string) (*Templates, error) {
	src := make(map[string]string)
	origin := make(map[string]string)
	for _, name := range TemplateNames() {
		b, err := embedded.ReadFile("templates/" + name)
		if err != nil {
			return nil, fmt.Errorf("modèle intégré %s absent : %w", name, err)
		}
		src[name] = string(b)
		origin[name] = "modèle intégré " + name
	}
	if overrideDir != "" {
		entries, err := os.ReadDir(overrideDir)
		if err != nil {
			return nil, fmt.Errorf("dossier des modèles de courriel %s illisible : %w", overrideDir, err)
		}
		for _, e := range entries {
			if e.IsDir() || !strings.HasSuffix(e.Name(), ".tmpl") {
				continue
			}
			path := filepath.Join(overrideDir, e.Name())
			if _, known := src[e.Name()]; !known {
				return nil, fmt.Errorf("modèle de courriel %s : nom inconnu (noms possibles : %s)",
					path, strings.Join(TemplateNames(), ", "))
			}
			b, err := os.ReadFile(path)
			if err != nil {
				return nil, fmt.Errorf("modèle de courriel %s illisible : %w", path, err)
			}
			src[e.Name()] = string(b)
			origin[e.Name()] = "modèle de courriel " + path
		}
	}

	t := &Templates{
		text:   texttemplate.New("").Funcs(texttemplate.FuncMap(funcs)),
		html:   htmltemplate.New("").Funcs(htmltemplate.FuncMap(funcs)),
		origin: origin,

		textDefinedIn: map[string]string{},
		htmlDefinedIn: map[string]string{},
	}
	for _, name := range TemplateNames() {
		var err error
		if strings.HasSuffix(name, ".html.tmpl") {
			_, err = t.html.New(name).Parse(src[name])
			for _, d := range t.html.Templates() {
				if _, ok := t.htmlDefinedIn[d.Name()]; !ok {
					t.htmlDefinedIn[d.Name()] = name
				}
			}
		} else {
			_, err = t.text.New(name).Parse(src[name])
			for _, d := range t.text.Templates() {
				if _, ok := t.textDefinedIn[d.Name()]; !ok {
					t.textDefinedIn[d.Name()] = name
				}
			}
		}
		if err != nil {
			return nil, fmt.Errorf("%s : %w", origin[name], err)
		}
	}
	// Try every mail on sample data, in normal and in test mode: a reference to a
	// field that does not exist only shows when the template runs.
	for _, k := range kinds {
		for _, test := range []bool{false, true} {
			if _, err := t.Render(sampleMail(k, test)); err != nil {
				return nil, err
			}
		}
	}
	return t, nil
}

// MustDefaultTemplates returns the embedded templates; they are tested, so a failure
// is a programming error.
func MustDefaultTemplates() *Templates {
	t, err := LoadTemplates("")
	if err != nil {
		panic(err)
	}
	return t
}

var funcs = map[string]any{
	"upper": strings.ToUpper,
	"date":  frenchDate,
}

// Rendered is one mail's content.
type Rendered struct {
	Subject string
	Text    string
	HTML    string
}

// TemplateData is what the templates see (see docs/mail.md for the list).
type TemplateData struct {
	Kind           domain.MailKind
	Subject        string // the rendered subject (for the HTML <title>)
	University     string
	StudentName    string
	DiplomaLabel   string
	YearLabel      string
	Campaign       domain.Campaign
	VETs           string // "L3MATH/201, L3MATI/201"
	ModeLabel      string // "courriel" or "Digiposte"
	CreatedAt      string // "3 juillet 2025 à 14 h 05"
	FinishedAt     string
	Counts         []StateCount // campaign_finished: non-zero counts, lifecycle order
	Total          int
	Failed         int // entries in mail_failed
	TestMode       bool
	RealTo         string // test mode: where the mail would have gone
	To             string
	AttachmentName string
}

// StateCount is one line of the campaign_finished summary.
type StateCount struct {
	State domain.EntryState
	Label string // domain.EntryState.Label()
	N     int
}

var stateOrder = []domain.EntryState{
	domain.EntryDiscovered, domain.EntryExcluded, domain.EntryEligible,
	domain.EntryRendered, domain.EntrySending, domain.EntryMailed, domain.EntryMailFailed,
	domain.EntryAdhesionRequested, domain.EntryVaultOpen, domain.EntryVaultNotified,
	domain.EntryDeposited, domain.EntryVaultRefused, domain.EntryCancelled,
}

func newTemplateData(m domain.Mail) TemplateData {
	d := m.Data
	c := d.Campaign
	td := TemplateData{
		Kind:           m.Kind,
		University:     d.University,
		StudentName:    d.StudentName,
		DiplomaLabel:   firstNonEmpty(d.DiplomaLabel, c.DiplomaLabel, c.VDI.Label),
		YearLabel:      firstNonEmpty(d.YearLabel, domain.AcademicYearLabel(c.Year)),
		Campaign:       c,
		ModeLabel:      c.Mode.Label(),
		CreatedAt:      frenchDate(c.CreatedAt),
		FinishedAt:     frenchDate(c.FinishedAt),
		TestMode:       d.TestMode,
		RealTo:         firstNonEmpty(d.RealTo, m.RealTo),
		To:             m.To,
		AttachmentName: firstNonEmpty(m.AttachmentName, defaultAttachName),
	}
	vets := make([]string, 0, len(c.VETs))
	for _, v := range c.VETs {
		if v.Label != "" {
			vets = append(vets, v.Label+" ("+v.Key()+")")
		} else {
			vets = append(vets, v.Key())
		}
	}
	td.VETs = strings.Join(vets, ", ")
	counts := d.Counts
	if counts == nil {
		counts = c.Counts
	}
	seen := make(map[domain.EntryState]bool, len(counts))
	add := func(s domain.EntryState) {
		if n := counts[s]; n > 0 && !seen[s] {
			td.Counts = append(td.Counts, StateCount{State: s, Label: s.Label(), N: n})
			td.Total += n
		}
		seen[s] = true
	}
	for _, s := range stateOrder {
		add(s)
	}
	var rest []domain.EntryState
	for s := range counts {
		if !seen[s] {
			rest = append(rest, s)
		}
	}
	slices.Sort(rest)
	for _, s := range rest {
		add(s)
	}
	td.Failed = counts[domain.EntryMailFailed]
	return td
}

// Render fills the three templates of m.Kind.
func (t *Templates) Render(m domain.Mail) (Rendered, error) {
	if !slices.Contains(kinds, m.Kind) {
		return Rendered{}, fmt.Errorf("type de courriel %q inconnu", m.Kind)
	}
	td := newTemplateData(m)
	var buf bytes.Buffer
	var r Rendered
	if err := t.text.ExecuteTemplate(&buf, subjectFile(m.Kind), td); err != nil {
		return r, t.execErr(subjectFile(m.Kind), err, t.textDefinedIn)
	}
	r.Subject = strings.Join(strings.Fields(buf.String()), " ")
	if r.Subject == "" {
		return r, fmt.Errorf("%s : l'objet du courriel est vide", t.origin[subjectFile(m.Kind)])
	}
	td.Subject = r.Subject
	buf.Reset()
	if err := t.text.ExecuteTemplate(&buf, textFile(m.Kind), td); err != nil {
		return r, t.execErr(textFile(m.Kind), err, t.textDefinedIn)
	}
	r.Text = buf.String()
	buf.Reset()
	if err := t.html.ExecuteTemplate(&buf, htmlFile(m.Kind), td); err != nil {
		return r, t.execErr(htmlFile(m.Kind), err, t.htmlDefinedIn)
	}
	r.HTML = buf.String()
	return r, nil
}

func (t *Templates) execErr(name string, err error, definedIn map[string]string) error {
	var te texttemplate.ExecError
	if errors.As(err, &te) {
		if file, ok := definedIn[te.Name]; ok && file != name {
			// The failing piece is defined in another file (common.*).
			return fmt.Errorf("%s (appelé depuis %s) : %w", t.origin[file], name, err)
		}
	}
	return fmt.Errorf("%s : %w", t.origin[name], err)
}

// sampleMail is the data templates are tried on at load time.
func sampleMail(k domain.MailKind, test bool) domain.Mail {
	at := time.Date(2025, 7, 3, 14, 5, 0, 0, time.UTC)
	c := domain.Campaign{
		ID: "C-EXEMPLE", Year: "2024",
		Component:    domain.Component{Code: "SCI", Label: "UFR Sciences"},
		VDI:          domain.VDI{Dip: "LMATH", Version: "201", Label: "Licence Mathématiques"},
		VETs:         []domain.VET{{Etape: "L3MATH", Version: "201", Label: "L3 Mathématiques"}},
		DiplomaLabel: "Licence Sciences, technologies, santé mention Mathématiques",
		Mode:         domain.ModeMail, TestMode: test, CreatedBy: "gestionnaire",
		CreatedAt: at, FinishedAt: at.Add(time.Hour), State: domain.CampaignFinished,
	}
	m := domain.Mail{
		Kind: k, CampaignID: c.ID, To: "destinataire@example.org",
		Data: domain.MailData{
			University: "Université d'exemple", StudentName: "Marie-Hélène Dupont",
			DiplomaLabel: c.DiplomaLabel, YearLabel: "2024-2025", Campaign: c,
			Counts:   map[domain.EntryState]int{domain.EntryMailed: 3, domain.EntryMailFailed: 1, domain.EntryExcluded: 2},
			TestMode: test,
		},
	}
	if test {
		m.RealTo, m.Data.RealTo = "etudiant@example.org", "etudiant@example.org"
	}
	if k == domain.MailAttestation {
		m.AttachmentName = defaultAttachName
	}
	if k == domain.MailPreviewExport {
		m.AttachmentName = "apercu-LMATH-201-2024.csv"
	}
	return m
}

var frenchMonths = [...]string{"janvier", "février", "mars", "avril", "mai", "juin", "juillet",
	"août", "septembre", "octobre", "novembre", "décembre"}

// frenchDate formats "3 juillet 2025 à 14 h 05"; empty for the zero time.
func frenchDate(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	day := fmt.Sprint(t.Day())
	if t.Day() == 1 {
		day = "1er"
	}
	return fmt.Sprintf("%s %s %d à %d h %02d", day, frenchMonths[t.Month()-1], t.Year(), t.Hour(), t.Minute())
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// DefaultTemplatesFS gives the embedded templates, named as TemplateNames lists them:
// copy them into the override folder to edit them.
func DefaultTemplatesFS() fs.FS {
	sub, _ := fs.Sub(embedded, "templates")
	return sub
}
