package hubee

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
	"time"
	"unicode"

	"hypercerts/domain"
	"hypercerts/internal/textfold"
)

// How an OSL's attestation request says who asks and for what: the case's
// partnerAttributes or an attached JSON or XML file (docs/hubee.md, « Identité de
// l'étudiant »). The engine asks through domain.Hub's Request and SameName.

// Request reads an attestation request from a case as stored: its partnerAttributes
// or the identity attachment the démarche names (read through file, by its key in the
// store), as p.Identity says. Errors are integration errors, in French.
func (*Hub) Request(p domain.HubEEProcess, rec domain.HubEECase, file func(key string) ([]byte, error)) (domain.HubEERequest, error) {
	return readRequest(p, rec, file)
}

// SameName reports whether two spellings of a name or an identifier are the same:
// case, accents, spaces, hyphens and apostrophes apart (« N'Diaye » = « NDIAYE »).
func (*Hub) SameName(a, b string) bool { return nameKey(a) == nameKey(b) }

func readRequest(p domain.HubEEProcess, rec domain.HubEECase, file func(key string) ([]byte, error)) (domain.HubEERequest, error) {
	var r domain.HubEERequest
	fields := p.Identity.Fields
	if fields == (domain.HubEEIdentityFields{}) {
		fields = domain.DefaultHubEEIdentityFields
	}
	var (
		values map[string]string
		where  string
	)
	switch p.Identity.Source {
	case domain.HubEEIdentityAttachment:
		pattern := strings.ToLower(p.Identity.AttachmentName)
		if pattern == "" {
			pattern = "*"
		}
		var f *domain.HubEEFile
		for i, c := range rec.Files {
			if ok, _ := path.Match(pattern, strings.ToLower(c.FileName)); ok && c.EventID == "" && c.Key != "" {
				f = &rec.Files[i]
				break
			}
		}
		if f == nil {
			return r, fmt.Errorf("aucune pièce jointe d'identité (%s) dans le dossier", p.Identity.AttachmentName)
		}
		data, err := file(f.Key)
		if err != nil {
			return r, fmt.Errorf("pièce jointe %s introuvable dans la base (%v)", f.FileName, err)
		}
		format := strings.ToLower(p.Identity.Format)
		if format == "" {
			format = strings.TrimPrefix(strings.ToLower(path.Ext(f.FileName)), ".")
		}
		where = "la pièce jointe " + f.FileName
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
		v, err := domain.ParseVDI(s)
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

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

// nameKey is s without case, accents, spaces, hyphens or apostrophes.
func nameKey(s string) string {
	var b strings.Builder
	for _, r := range textfold.Fold(s) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}
