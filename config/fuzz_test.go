package config

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzConfigLoader: any application.yaml gives a configuration or a French error,
// never a panic.
func FuzzConfigLoader(f *testing.F) {
	if b, err := os.ReadFile(filepath.Join("..", "application.example.yaml")); err == nil {
		f.Add(string(b))
	}
	for _, seed := range []string{
		"university:\n  name: Université de Démo\n  city: Démoville\n",
		"daemon:\n  schedules:\n    digiposte_cycle: '@every -5m'\n",
		"apogee: [1, 2\n",
		"store: {path: ~, open_timeout: -1s}\n",
		"a: &x [*x]\n",
		"\t\x00",
		"",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, yaml string) {
		c, err := Parse([]byte(yaml), "application.yaml")
		if err == nil && c == nil {
			t.Fatal("no configuration and no error")
		}
	})
}
