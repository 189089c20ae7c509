package config

import (
	"fmt"
	"sort"
	"strings"
)

// Problem is one thing wrong in the configuration.
type Problem struct {
	Key     string // key path, e.g. "mail.smtp.port" or "hubee.processes[1].code"
	Line    int    // line in the file, 0 when the key is not written in it
	Message string // in French, says what is expected
}

func (p Problem) Error() string {
	var b strings.Builder
	b.WriteString(p.Key)
	if p.Line > 0 {
		fmt.Fprintf(&b, " (ligne %d)", p.Line)
	}
	b.WriteString(" : ")
	b.WriteString(p.Message)
	return b.String()
}

// ValidationError lists every problem found in a configuration, in file order.
type ValidationError struct {
	File     string
	Problems []Problem
}

func (e *ValidationError) Error() string {
	var b strings.Builder
	name := e.File
	if name == "" {
		name = "configuration"
	}
	if len(e.Problems) == 1 {
		fmt.Fprintf(&b, "%s : 1 erreur de configuration :", name)
	} else {
		fmt.Fprintf(&b, "%s : %d erreurs de configuration :", name, len(e.Problems))
	}
	for _, p := range e.Problems {
		b.WriteString("\n  - ")
		b.WriteString(p.Error())
	}
	return b.String()
}

// Unwrap gives each problem as an error.
func (e *ValidationError) Unwrap() []error {
	errs := make([]error, len(e.Problems))
	for i, p := range e.Problems {
		errs[i] = p
	}
	return errs
}

// Keys lists the key paths at fault, in order (handy in tests and in doctor).
func (e *ValidationError) Keys() []string {
	keys := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		keys[i] = p.Key
	}
	return keys
}

// problems collects problems while decoding and validating.
type problems struct {
	file  string
	lines map[string]int
	list  []Problem
}

// at adds a problem at the line of the key path.
func (ps *problems) at(key, format string, args ...any) {
	ps.list = append(ps.list, Problem{Key: key, Line: ps.lineOf(key), Message: fmt.Sprintf(format, args...)})
}

// atLine adds a problem at a given line.
func (ps *problems) atLine(key string, line int, format string, args ...any) {
	ps.list = append(ps.list, Problem{Key: key, Line: line, Message: fmt.Sprintf(format, args...)})
}

// lineOf is the line of the key; for a key not written in the file, the line of the
// list element it belongs to (e.g. hubee.processes[1]), else 0.
func (ps *problems) lineOf(key string) int {
	if l, ok := ps.lines[key]; ok {
		return l
	}
	for k := parentPath(key); k != ""; k = parentPath(k) {
		if strings.HasSuffix(k, "]") {
			if l, ok := ps.lines[k]; ok {
				return l
			}
		}
	}
	return 0
}

// err is nil without problems, else a *ValidationError sorted by line (keys not in the
// file last, in the order found).
func (ps *problems) err() error {
	if len(ps.list) == 0 {
		return nil
	}
	list := append([]Problem(nil), ps.list...)
	sort.SliceStable(list, func(i, j int) bool {
		li, lj := list[i].Line, list[j].Line
		if li == 0 || lj == 0 {
			return li != 0 && lj == 0
		}
		return li < lj
	})
	return &ValidationError{File: ps.file, Problems: list}
}

// parentPath is "a.b" for "a.b.c" and "a.b" for "a.b[2]".
func parentPath(p string) string {
	i := strings.LastIndexAny(p, ".[")
	if i < 0 {
		return ""
	}
	return p[:i]
}
