package config

import (
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// decoder walks the YAML node tree onto a Config that already holds the defaults,
// recording the line of every key and every problem, and never stopping at the first.
type decoder struct {
	*problems
}

var (
	durationType = reflect.TypeOf(time.Duration(0))
	yamlLineRe   = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)
)

// defaulter is a list element that has defaults before its keys are read.
type defaulter interface{ defaults() }

// syntaxProblem turns a yaml.v3 syntax error into a problem with its line.
func syntaxProblem(err error) Problem {
	msg := err.Error()
	if m := yamlLineRe.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return Problem{Key: "(fichier)", Line: line, Message: "syntaxe YAML invalide : " + m[2]}
	}
	return Problem{Key: "(fichier)", Message: "syntaxe YAML invalide : " + strings.TrimPrefix(msg, "yaml: ")}
}

func (d *decoder) decode(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	if isNull(n) {
		return // "key:" with nothing: keep the default
	}
	if v.Type() == durationType {
		d.duration(n, v, path)
		return
	}
	if v.Type() == rawType {
		if n.Kind != yaml.MappingNode {
			d.atLine(path, n.Line, "attendu une section « clé: valeur », trouvé %s", describe(n))
			return
		}
		v.Set(reflect.ValueOf(RawYAML{node: n, path: path, file: d.file}))
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		d.mapping(n, v, path)
	case reflect.String:
		if n.Kind != yaml.ScalarNode {
			d.atLine(path, n.Line, "attendu une valeur texte, trouvé %s", describe(n))
			return
		}
		v.SetString(n.Value)
	case reflect.Int:
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" {
			d.atLine(path, n.Line, "attendu un nombre entier, trouvé %s", describe(n))
			return
		}
		i, err := strconv.ParseInt(n.Value, 0, 64)
		if err != nil {
			d.atLine(path, n.Line, "attendu un nombre entier, trouvé %s", describe(n))
			return
		}
		v.SetInt(i)
	case reflect.Bool:
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" {
			d.atLine(path, n.Line, "attendu true ou false, trouvé %s", describe(n))
			return
		}
		var b bool
		_ = n.Decode(&b)
		v.SetBool(b)
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			d.atLine(path, n.Line, "attendu une liste (une ligne « - valeur » par élément), trouvé %s", describe(n))
			return
		}
		s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		for i, item := range n.Content {
			p := fmt.Sprintf("%s[%d]", path, i)
			d.lines[p] = item.Line
			if def, ok := s.Index(i).Addr().Interface().(defaulter); ok {
				def.defaults()
			}
			d.decode(item, s.Index(i), p)
		}
		v.Set(s)
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			d.atLine(path, n.Line, "attendu une section « clé: valeur », trouvé %s", describe(n))
			return
		}
		m := reflect.MakeMapWithSize(v.Type(), len(n.Content)/2)
		seen := map[string]int{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			p := path + "." + k.Value
			if prev, dup := seen[k.Value]; dup {
				d.atLine(p, k.Line, "clé en double (déjà définie ligne %d)", prev)
				continue
			}
			seen[k.Value] = k.Line
			d.lines[p] = k.Line
			e := reflect.New(v.Type().Elem()).Elem()
			d.decode(val, e, p)
			m.SetMapIndex(reflect.ValueOf(k.Value), e)
		}
		v.Set(m)
	case reflect.Float64, reflect.Float32:
		if n.Kind != yaml.ScalarNode || (n.ShortTag() != "!!float" && n.ShortTag() != "!!int") {
			d.atLine(path, n.Line, "attendu un nombre, trouvé %s", describe(n))
			return
		}
		f, err := strconv.ParseFloat(n.Value, 64)
		if err != nil {
			d.atLine(path, n.Line, "attendu un nombre, trouvé %s", describe(n))
			return
		}
		v.SetFloat(f)
	default:
		d.atLine(path, n.Line, "type de valeur non pris en charge (%s)", v.Type())
	}
}

func (d *decoder) mapping(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.atLine(orRoot(path), n.Line, "attendu une section « clé: valeur », trouvé %s", describe(n))
		return
	}
	fields := fieldsOf(v.Type())
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		p := join(path, k.Value)
		idx, ok := fields[k.Value]
		if !ok {
			d.atLine(p, k.Line, "%s", unknownKeyMessage(path, k.Value, v.Type()))
			continue
		}
		if prev, dup := seen[k.Value]; dup {
			d.atLine(p, k.Line, "clé en double (déjà définie ligne %d)", prev)
			continue
		}
		seen[k.Value] = k.Line
		d.lines[p] = k.Line
		d.decode(val, v.Field(idx), p)
	}
}

func (d *decoder) duration(n *yaml.Node, v reflect.Value, path string) {
	const want = "attendu une durée avec son unité (ms, s, m, h), par exemple 30s, 1m30s ou 200ms"
	if n.Kind != yaml.ScalarNode {
		d.atLine(path, n.Line, "%s, trouvé %s", want, describe(n))
		return
	}
	dur, err := time.ParseDuration(n.Value)
	if err != nil {
		d.atLine(path, n.Line, "%q n'est pas une durée valide, %s", n.Value, want)
		return
	}
	if dur < 0 {
		d.atLine(path, n.Line, "%q : la durée ne peut pas être négative", n.Value)
		return
	}
	v.SetInt(int64(dur))
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// describe names what was found, for type errors.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "une section"
	case yaml.SequenceNode:
		return "une liste"
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!int":
			return "le nombre " + n.Value
		case "!!float":
			return "le nombre " + n.Value
		case "!!bool":
			return "le booléen " + n.Value
		}
		return fmt.Sprintf("le texte %q", n.Value)
	}
	return "une valeur"
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func orRoot(path string) string {
	if path == "" {
		return "(racine)"
	}
	return path
}

// fieldsOf maps yaml names to field indexes.
func fieldsOf(t reflect.Type) map[string]int {
	m := map[string]int{}
	for i := 0; i < t.NumField(); i++ {
		if name := yamlName(t.Field(i)); name != "" {
			m[name] = i
		}
	}
	return m
}

func yamlName(f reflect.StructField) string {
	if !f.IsExported() {
		return ""
	}
	name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	if name == "-" {
		return ""
	}
	return name
}

// unknownKeyMessage says the key is unknown and suggests the closest known key at the
// same level, or the same key elsewhere in the file's structure.
func unknownKeyMessage(path, key string, t reflect.Type) string {
	msg := "clé inconnue"
	var siblings []string
	for name := range fieldsOf(t) {
		siblings = append(siblings, name)
	}
	sort.Strings(siblings)
	if best := closest(key, siblings); best != "" {
		return msg + fmt.Sprintf(" ; vouliez-vous dire « %s » ?", join(path, best))
	}
	var elsewhere []string
	for _, p := range KnownKeys() {
		if strings.HasSuffix(p, "."+key) || p == key {
			elsewhere = append(elsewhere, p)
		}
	}
	if len(elsewhere) > 0 && len(elsewhere) <= 3 {
		return msg + fmt.Sprintf(" à cet endroit ; elle existe sous « %s »", strings.Join(elsewhere, " », « "))
	}
	if len(siblings) > 0 && len(siblings) <= 12 {
		return msg + fmt.Sprintf(" ; clés possibles ici : %s", strings.Join(siblings, ", "))
	}
	return msg
}

// closest is the candidate within a small edit distance of key, or "".
func closest(key string, candidates []string) string {
	best, bestDist := "", 1<<30
	limit := max(2, len(key)/3)
	lk := strings.ToLower(strings.ReplaceAll(key, "-", "_"))
	for _, c := range candidates {
		dist := levenshtein(lk, c)
		if dist < bestDist && dist <= limit {
			best, bestDist = c, dist
		}
	}
	return best
}

func levenshtein(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// KnownKeys lists every key path of application.yaml; list elements appear as "[]"
// and free maps as ".*" (e.g. "hubee.processes[].code", "digiposte.format.*").
func KnownKeys() []string {
	var out []string
	var walk func(t reflect.Type, path string)
	walk = func(t reflect.Type, path string) {
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			name := yamlName(f)
			if name == "" {
				continue
			}
			p := join(path, name)
			out = append(out, p)
			ft := f.Type
			switch {
			case ft == durationType:
			case ft == rawType:
				out = append(out, p+".*")
			case ft.Kind() == reflect.Struct:
				walk(ft, p)
			case ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.Struct:
				walk(ft.Elem(), p+"[]")
			case ft.Kind() == reflect.Map:
				out = append(out, p+".*")
			}
		}
	}
	walk(reflect.TypeOf(Config{}), "")
	return out
}
