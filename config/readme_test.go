package config

import (
	"os"
	"strings"
	"testing"
)

// TestREADMEMinimalConfigurationIsValid keeps the README's sample in step with the code.
func TestREADMEMinimalConfigurationIsValid(t *testing.T) {
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(b), "A minimal real configuration")
	if !ok {
		t.Fatal("the README has no minimal configuration")
	}
	_, block, _ := strings.Cut(after, "```yaml\n")
	block, _, _ = strings.Cut(block, "```")
	cfg, err := Parse([]byte(block), "README.md")
	if err != nil {
		t.Fatalf("the README's configuration does not validate:\n%v", err)
	}
	if !cfg.Delivery.TestMode || cfg.Apogee.Concurrency != 8 {
		t.Fatalf("unexpected values: %+v", cfg.Delivery)
	}
}
