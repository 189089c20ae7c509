package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSecurityWarnings_ReadableKeysAndMetricsBeyondLoopback(t *testing.T) {
	dir := t.TempDir()
	c := Demo(dir)
	host := filepath.Join(dir, "hote")
	sftp := filepath.Join(dir, "sftp")
	p12 := filepath.Join(dir, "signature.p12")
	for _, f := range []string{host, sftp, p12} {
		if err := os.WriteFile(f, []byte("clé"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	c.Daemon.SSH.HostKey, c.Digiposte.SFTP.KeyFile, c.Signing.Certificate = host, sftp, p12
	for _, l := range []string{"", ":9090", "127.0.0.1:9090", "[::1]:9090", "localhost:9090"} {
		c.Daemon.Metrics.Listen = l
		if w := c.SecurityWarnings(); len(w) != 0 {
			t.Fatalf("listen %q, keys 0600: warnings %q", l, w)
		}
	}
	for _, f := range []string{host, sftp, p12} {
		os.Chmod(f, 0o644)
	}
	c.Daemon.Metrics.Listen = "0.0.0.0:9090"
	w := strings.Join(c.SecurityWarnings(), "\n")
	for _, want := range []string{"chmod 600 " + host, "chmod 600 " + sftp, "chmod 600 " + p12, "0.0.0.0:9090", "pare-feu"} {
		if !strings.Contains(w, want) {
			t.Errorf("warnings do not say %q:\n%s", want, w)
		}
	}
}
