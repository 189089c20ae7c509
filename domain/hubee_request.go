package domain

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
	"time"
	"unicode"
)

// HubEEStudentFinder is an optional capability of the Apogee port: finding a student
// code from an INE, for requests that carry only the INE. The engine finds it with a
// type assertion on Deps.Apogee; without it, such requests are refused with a message
// asking for the student number.
type HubEEStudentFinder interface {
	StudentByINE(ctx context.Context, ine string) (studentCode string, err error)
}

// hubRequest is what an attestation request asks for.
type hubRequest struct {
	StudentCode string
	INE         string
	LastName    string
	FirstName   string
	BirthDate   time.Time
	Year        string
	VDI         VDI
}

// readHubRequest reads the request from the case as stored (partnerAttributes or an
// attached file). Errors are integration errors, in French.
func readHubRequest(hs HubStore, p HubEEProcess, rec HubEECase) (hubRequest, error) {
	var r hubRequest
	fields := p.Identity.Fields
	if fields == (HubEEIdentityFields{}) {
		fields = DefaultHubEEIdentityFields
	}
	var (
		values map[string]string
		where  string
	)
	switch p.Identity.Source {
	case HubEEIdentityAttachment:
		pattern := strings.ToLower(p.Identity.AttachmentName)
		if pattern == "" {
			pattern = "*"
		}
		var file *HubEEFile
		for i, f := range rec.Files {
			if ok, _ := path.Match(pattern, strings.ToLower(f.FileName)); ok && f.EventID == "" && f.Key != "" {
				file = &rec.Files[i]
				break
			}
		}
		if file == nil {
			return r, fmt.Errorf("aucune pièce jointe d'identité (%s) dans le dossier", p.Identity.AttachmentName)
		}
		data, err := hs.HubEEFile(rec.CaseID, file.Key)
		if err != nil {
			return r, fmt.Errorf("pièce jointe %s introuvable dans la base (%v)", file.FileName, err)
		}
		format := strings.ToLower(p.Identity.Format)
		if format == "" {
			format = strings.TrimPrefix(strings.ToLower(path.Ext(file.FileName)), ".")
		}
		where = "la pièce jointe " + file.FileName
		switch format {
		case "xml":
			values, err = flattenXML(data)
		default:
			values, err = flattenJSON(data)
		}
		if err != nil {
			return r, fmt.Errorf("%s est illisible (%v)", where, err)
		}
	default:
		where = "les attributs du dossier (partnerAttributes)"
		var err error
		if values, err = parseAttributes(rec.PartnerAttributes); err != nil {
			return r, fmt.Errorf("%s sont illisibles (%v)", where, err)
		}
	}
	get := func(name string) string {
		if name == "" {
			return ""
		}
		return strings.TrimSpace(values[strings.ToLower(name)])
	}
	r.StudentCode, r.INE = get(fields.StudentCode), strings.ToUpper(get(fields.INE))
	r.LastName, r.FirstName = get(fields.LastName), get(fields.FirstName)
	if r.StudentCode == "" && r.INE == "" {
		return r, fmt.Errorf("identité de l'étudiant absente de %s : ni numéro étudiant (%s) ni INE (%s)", where, fields.StudentCode, fields.INE)
	}
	if s := get(fields.BirthDate); s != "" {
		d, err := parseBirthDate(s)
		if err != nil {
			return r, fmt.Errorf("date de naissance %q illisible dans %s (attendu AAAA-MM-JJ ou JJ/MM/AAAA)", s, where)
		}
		r.BirthDate = d
	}
	r.Year = p.Year
	if s := get(fields.Year); s != "" {
		if len(s) < 4 || !isDigits(s[:4]) {
			return r, fmt.Errorf("année %q illisible dans %s (attendu 2024 ou 2024-2025)", s, where)
		}
		r.Year = s[:4]
	}
	r.VDI = p.VDI
	if s := get(fields.VDI); s != "" {
		v, err := ParseVDI(s)
		if err != nil {
			return r, fmt.Errorf("diplôme illisible dans %s : %v", where, err)
		}
		r.VDI = v
	}
	if r.VDI.Dip == "" {
		return r, fmt.Errorf("diplôme demandé absent de %s (%s, sous la forme CODE/VERSION)", where, fields.VDI)
	}
	return r, nil
}

// hubDecide identifies the student, applies the campaign rules and prepares the answer:
// the PDF stored and HubStepAnswerReady, or a refusal and HubStepAnswering. An Apogée
// failure is returned as is (the case waits for the next run).
func (e *Engine) hubDecide(ctx context.Context, hs HubStore, p HubEEProcess, rec *HubEECase) error {
	req, err := readHubRequest(hs, p, *rec)
	if err != nil { // read fine before the acknowledgement; the store changed under us
		return e.integrationError(hs, rec, err.Error())
	}
	refuse := func(reason, answer string) error {
		rec.Outcome, rec.Reason = HubOutcomeRefused, reason
		rec.Answer = "Votre demande d'attestation de réussite ne peut pas être satisfaite : " + answer
		rec.Pending, rec.PendingMessage, rec.Step = HubRefused, rec.Answer, HubStepAnswering
		rec.LastError = ""
		return e.putCase(hs, rec)
	}
	code := req.StudentCode
	if code == "" {
		finder, ok := e.apogee.(HubEEStudentFinder)
		if !ok {
			return refuse("identification par INE seul non prise en charge",
				"l'université ne peut pas vous identifier par votre seul INE ; indiquez votre numéro étudiant.")
		}
		code, err = call(ctx, e, func() (string, error) { return finder.StudentByINE(ctx, req.INE) })
		if errors.Is(err, ErrNotFound) {
			return refuse("INE "+req.INE+" inconnu dans Apogée", "aucun étudiant de l'université ne correspond à l'INE "+req.INE+".")
		}
		if err != nil {
			//lint:ignore ST1005 Apogée is a proper noun
			return fmt.Errorf("Apogée : recherche par INE : %w", err)
		}
	}
	rec.StudentCode = code
	id, err := call(ctx, e, func() (Identity, error) { return e.apogee.Identity(ctx, code) })
	if errors.Is(err, ErrNotFound) {
		return refuse("étudiant "+code+" inconnu dans Apogée", "aucun étudiant de l'université ne porte le numéro "+code+".")
	}
	if err != nil {
		//lint:ignore ST1005 Apogée is a proper noun
		return fmt.Errorf("Apogée : identité de l'étudiant %s : %w", code, err)
	}
	mismatch := func(what string) error {
		return refuse("identité non concordante ("+what+") pour l'étudiant "+code,
			"les informations d'identité du dossier ne correspondent pas à celles que l'université connaît pour ce numéro étudiant.")
	}
	if req.INE != "" && id.INE != "" && foldName(req.INE) != foldName(id.INE) {
		return mismatch("INE")
	}
	if req.LastName != "" || !req.BirthDate.IsZero() {
		adm, err := call(ctx, e, func() (AdminInfo, error) { return e.apogee.AdminInfo(ctx, code) })
		if err != nil {
			//lint:ignore ST1005 Apogée is a proper noun
			return fmt.Errorf("Apogée : état civil de l'étudiant %s : %w", code, err)
		}
		if req.LastName != "" && adm.LastName != "" && foldName(req.LastName) != foldName(adm.LastName) {
			return mismatch("nom")
		}
		if !req.BirthDate.IsZero() && !adm.BirthDate.IsZero() && !sameDay(req.BirthDate, adm.BirthDate) {
			return mismatch("date de naissance")
		}
	}
	year := req.Year
	if year == "" {
		if year, err = e.hubYear(ctx, code, req.VDI); err != nil {
			return err
		}
		if year == "" {
			return refuse(fmt.Sprintf("aucun contrat pédagogique pour %s dans les années ouvertes", req.VDI.Key()),
				fmt.Sprintf("aucune inscription au diplôme %s n'est enregistrée à votre nom.", req.VDI.Key()))
		}
	}
	rec.Year, rec.VDI = year, req.VDI.Key()
	var pdf bytes.Buffer
	row, err := e.StudentAttestation(ctx, year, req.VDI, code, &pdf)
	rec.StudentName = row.Student.FullName()
	if err != nil {
		if errors.Is(err, ErrInvalid) {
			return refuse(strings.Join(row.Reasons, " ; "), refusalText(row.Reasons, req.VDI, year))
		}
		return err // Apogée or rendering: next run
	}
	name := fmt.Sprintf("attestation-reussite-%s-%s.pdf", code, year)
	key := "answer/" + name
	if err := hs.PutHubEEFile(rec.CaseID, key, pdf.Bytes()); err != nil {
		return fmt.Errorf("base : attestation : %w", err)
	}
	rec.Deposit = HubEEDeposit{FileName: name, Size: int64(pdf.Len()), Key: key}
	rec.Outcome = HubOutcomeDelivered
	rec.Reason = fmt.Sprintf("attestation %s %s délivrée à %s", req.VDI.Key(), AcademicYearLabel(year), rec.StudentName)
	rec.Answer = fmt.Sprintf("Votre attestation de réussite (%s, année %s) est jointe.", firstNonEmpty(req.VDI.Label, req.VDI.Key()), AcademicYearLabel(year))
	rec.Step, rec.LastError = HubStepAnswerReady, ""
	return e.putCase(hs, rec)
}

// hubYear finds the newest open year where the student has a contract for the VDI ("" if
// none).
func (e *Engine) hubYear(ctx context.Context, code string, vdi VDI) (string, error) {
	years, err := call(ctx, e, func() ([]Year, error) { return e.apogee.OpenYears(ctx) })
	if err != nil {
		//lint:ignore ST1005 Apogée is a proper noun
		return "", fmt.Errorf("Apogée : années ouvertes : %w", err)
	}
	for _, y := range years {
		c, err := call(ctx, e, func() (*Contract, error) { return e.apogee.Contract(ctx, code, y.Code, vdi) })
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			//lint:ignore ST1005 Apogée is a proper noun
			return "", fmt.Errorf("Apogée : contrat de l'étudiant %s en %s : %w", code, y.Code, err)
		}
		if c != nil {
			return y.Code, nil
		}
	}
	return "", nil
}

// refusalText explains the rules' reasons to the student.
func refusalText(reasons []string, vdi VDI, year string) string {
	var out []string
	for _, r := range reasons {
		switch {
		case r == ReasonNotAdmitted:
			out = append(out, "le jury ne vous a pas déclaré(e) admis(e) à ce diplôme")
		case r == ReasonNoVerdict:
			out = append(out, "aucun résultat définitif n'est encore enregistré pour ce diplôme")
		case r == ReasonNoContract:
			out = append(out, "aucune inscription à ce diplôme n'est enregistrée pour cette année")
		case r == ReasonDeliveryForbidden:
			out = append(out, "la délivrance de l'attestation n'est pas encore autorisée")
		case strings.HasPrefix(r, ReasonBlocked):
			out = append(out, "votre dossier fait l'objet d'un blocage administratif ; contactez votre scolarité")
		case r == ReasonNoEmail, r == ReasonNoEmailDigiposte:
		default:
			out = append(out, r)
		}
	}
	if len(out) == 0 {
		out = append(out, "les conditions de délivrance ne sont pas remplies")
	}
	return fmt.Sprintf("%s (diplôme %s, année %s).", strings.Join(dedup(out), " ; "), firstNonEmpty(vdi.Label, vdi.Key()), AcademicYearLabel(year))
}

func dedup(s []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, v := range s {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

// parseAttributes reads partnerAttributes: a JSON object, or "clé=valeur" pairs
// separated by ';', '&' or new lines ("clé:valeur" is accepted too).
func parseAttributes(s string) (map[string]string, error) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "{") {
		return flattenJSON([]byte(s))
	}
	out := map[string]string{}
	for _, part := range strings.FieldsFunc(s, func(r rune) bool { return r == ';' || r == '&' || r == '\n' || r == '\r' }) {
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			k, v, ok = strings.Cut(part, ":")
		}
		if !ok {
			continue
		}
		out[strings.ToLower(strings.TrimSpace(k))] = strings.TrimSpace(v)
	}
	return out, nil
}

// flattenJSON gives the leaves of a JSON object by lowercase name, both bare ("ine")
// and dotted ("etudiant.ine"); the first leaf of a bare name wins.
func flattenJSON(data []byte) (map[string]string, error) {
	var v any
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, ok := v.(map[string]any); !ok {
		return nil, errors.New("un objet JSON est attendu")
	}
	out := map[string]string{}
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		switch t := v.(type) {
		case map[string]any:
			for k, c := range t {
				name := strings.ToLower(k)
				if prefix != "" {
					name = prefix + "." + name
				}
				walk(name, c)
			}
		case []any:
		case nil:
		default:
			s := fmt.Sprint(t)
			out[prefix] = s
			bare := prefix[strings.LastIndex(prefix, ".")+1:]
			if _, ok := out[bare]; !ok {
				out[bare] = s
			}
		}
	}
	walk("", v)
	return out, nil
}

// flattenXML gives the text of leaf elements by lowercase local name, bare and dotted
// from the root's children ("etudiant.ine" for <demande><etudiant><ine>).
func flattenXML(data []byte) (map[string]string, error) {
	dec := xml.NewDecoder(bytes.NewReader(data))
	out := map[string]string{}
	var stack []string
	var text strings.Builder
	leaf := false
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			stack = append(stack, strings.ToLower(t.Name.Local))
			text.Reset()
			leaf = true
		case xml.CharData:
			text.Write(t)
		case xml.EndElement:
			if leaf && len(stack) > 0 {
				v := strings.TrimSpace(text.String())
				bare := stack[len(stack)-1]
				if len(stack) > 1 {
					out[strings.Join(stack[1:], ".")] = v
				}
				if _, ok := out[bare]; !ok {
					out[bare] = v
				}
			}
			leaf = false
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
		}
	}
	if len(stack) != 0 {
		return nil, errors.New("document XML incomplet")
	}
	return out, nil
}

func parseBirthDate(s string) (time.Time, error) {
	for _, layout := range []string{"2006-01-02", "02/01/2006", "2006-01-02T15:04:05Z07:00", "02-01-2006", "20060102"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, errors.New("date illisible")
}

func sameDay(a, b time.Time) bool {
	ay, am, ad := a.Date()
	by, bm, bd := b.Date()
	return ay == by && am == bm && ad == bd
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

var accentFolder = strings.NewReplacer(
	"À", "A", "Â", "A", "Ä", "A", "Á", "A", "Ã", "A", "Å", "A", "Ç", "C", "É", "E", "È", "E", "Ê", "E", "Ë", "E",
	"Î", "I", "Ï", "I", "Í", "I", "Ì", "I", "Ô", "O", "Ö", "O", "Ó", "O", "Ò", "O", "Õ", "O", "Ù", "U", "Û", "U",
	"Ü", "U", "Ú", "U", "Ÿ", "Y", "Ý", "Y", "Ñ", "N", "Œ", "OE", "Æ", "AE", "Ł", "L", "Ś", "S", "Ş", "S", "İ", "I",
	"Ễ", "E", "Ị", "I", "Ñ", "N")

// foldName compares names and identifiers without case, accents, spaces, hyphens or
// apostrophes.
func foldName(s string) string {
	s = accentFolder.Replace(strings.ToUpper(s))
	var b strings.Builder
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}
