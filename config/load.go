package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"reflect"

	"gopkg.in/yaml.v3"
)

// Load reads, completes with defaults and validates a configuration file. Every
// problem comes back at once as a *ValidationError. Secrets are not read here: see
// CheckSecrets and the secret accessors.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("fichier de configuration %s introuvable : copiez application.example.yaml "+
			"sous ce nom et adaptez-le, indiquez un autre fichier avec --config, ou essayez --demo", path)
	}
	if err != nil {
		return nil, fmt.Errorf("lecture du fichier de configuration %s : %w", path, err)
	}
	return Parse(data, path)
}

// Parse is Load on bytes; name is used in messages.
func Parse(data []byte, name string) (*Config, error) {
	c := Default()
	c.source = name
	ps := &problems{file: name, lines: c.lines}

	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil && !errors.Is(err, io.EOF) {
		ps.list = append(ps.list, syntaxProblem(err))
		return nil, ps.err()
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		ps.atLine("(fichier)", extra.Line, "un seul document YAML est attendu (retirez la ligne « --- »)")
	}
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
		root := doc.Content[0]
		if root.Kind != yaml.MappingNode && !isNull(root) {
			// Not a configuration at all: say so, without the noise of every required key.
			ps.atLine("(racine)", root.Line, "attendu des sections « clé: valeur » (university:, apogee:, …), trouvé %s", describe(root))
			return nil, ps.err()
		}
		(&decoder{ps}).decode(root, reflect.ValueOf(c).Elem(), "")
	}
	c.validate(ps)
	if err := ps.err(); err != nil {
		return nil, err
	}
	return c, nil
}

// Validate checks a configuration built in code (Default, Demo, or changed after Load).
func (c *Config) Validate() error {
	if c.lines == nil {
		c.lines = map[string]int{}
	}
	ps := &problems{file: c.source, lines: c.lines}
	c.validate(ps)
	return ps.err()
}
