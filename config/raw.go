package config

import (
	"errors"
	"fmt"
	"os"
	"reflect"

	"gopkg.in/yaml.v3"
)

// RawYAML is a section kept as written, for the package that owns its shape (e.g.
// digiposte.format, owned by connectors/digiposte). It decodes later, as strictly as
// the rest of the file: unknown keys and type errors reported with their key path and
// line.
type RawYAML struct {
	node *yaml.Node
	path string // key path of the section, e.g. "digiposte.format"
	file string
}

var rawType = reflect.TypeOf(RawYAML{})

// IsZero tells whether the section is absent or empty.
func (r RawYAML) IsZero() bool { return r.node == nil || len(r.node.Content) == 0 }

// MarshalYAML prints the section as written.
func (r RawYAML) MarshalYAML() (any, error) {
	if r.node == nil {
		return map[string]any{}, nil
	}
	return r.node, nil
}

// Decode reads the section onto v, a pointer to a struct holding its defaults (fields
// tagged `yaml:"name"`, of types string, int, bool, time.Duration, slices, maps and
// structs of those). Every problem comes back at once as a *ValidationError.
func (r RawYAML) Decode(v any) error {
	if r.node == nil {
		return nil
	}
	return decodeInto(r.node, v, r.path, r.file)
}

func decodeInto(n *yaml.Node, v any, path, file string) error {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return fmt.Errorf("config: Decode needs a non-nil pointer, got %T", v)
	}
	ps := &problems{file: file, lines: map[string]int{}}
	(&decoder{ps}).decode(n, rv.Elem(), path)
	return ps.err()
}

// DecodeFormat reads the Digiposte format: format_file first (when set), then the
// inline digiposte.format entries over it. v points to the format with its defaults
// (connectors/digiposte's Format). Errors name the file, the key and the line.
func (d Digiposte) DecodeFormat(v any) error {
	var errs []error
	if d.FormatFile != "" {
		data, err := os.ReadFile(d.FormatFile)
		if err != nil {
			return fmt.Errorf("digiposte.format_file : lecture de %s : %w", d.FormatFile, err)
		}
		var doc yaml.Node
		if err := yaml.Unmarshal(data, &doc); err != nil {
			return &ValidationError{File: d.FormatFile, Problems: []Problem{syntaxProblem(err)}}
		}
		if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
			if err := decodeInto(doc.Content[0], v, "", d.FormatFile); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if err := d.Format.Decode(v); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}
