package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A secret pasted into an *_env key is never repeated, even when it happens to be
// made of letters and digits only (a valid variable name).
func TestEnvKey_SecretPastedThereIsNotEchoed(t *testing.T) {
	const secret = "Sup3rSecretSmtp"
	verr := mustFail(t, strings.Replace(minimal, "    host: smtp.univ.test\n", "    host: smtp.univ.test\n    username: scol\n    password_env: "+secret+"\n", 1))
	p := problem(t, verr, "mail.smtp.password_env")
	if strings.Contains(verr.Error(), secret) || !strings.Contains(p.Message, "ressemble à une valeur") {
		t.Fatalf("message %q (whole error %q): want no secret and a hint it looks like a value", p.Message, verr.Error())
	}
	err := (&SecretError{Key: "mail.smtp.password_env", Env: secret}).Error()
	if strings.Contains(err, secret) || !strings.Contains(err, "ressemble à une valeur") {
		t.Fatalf("SecretError %q", err)
	}
	if err := (&SecretError{Env: "HYPERCERTS_SMTP_PASSWORD"}).Error(); !strings.Contains(err, "HYPERCERTS_SMTP_PASSWORD") {
		t.Fatalf("a real variable name is not said: %q", err)
	}
}

// A logo the renderer cannot read is refused by the configuration, not at the first
// attestation.
func TestLogo_UnreadableOrNotAnImageRefusedAtLoad(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "logo.png")
	if err := os.WriteFile(bad, []byte("<html>page de connexion</html>"), 0o644); err != nil {
		t.Fatal(err)
	}
	doc := strings.Replace(minimal, "  city: Testville\n", "  city: Testville\n  logo: "+bad+"\n", 1)
	p := problem(t, mustFail(t, doc), "university.logo")
	if !strings.Contains(p.Message, "PNG ou JPEG") {
		t.Fatalf("message %q", p.Message)
	}
	good := filepath.Join(dir, "ok.png")
	// The smallest valid PNG header: signature and IHDR (1×1).
	png := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde")
	if err := os.WriteFile(good, png, 0o644); err != nil {
		t.Fatal(err)
	}
	mustParse(t, strings.Replace(minimal, "  city: Testville\n", "  city: Testville\n  logo: "+good+"\n", 1))
}

func TestDocs_NameTheDemoUser(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "docs", "config.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "demo user `"+DemoUser+"`") {
		t.Fatalf("docs/config.md does not name the demo user %q", DemoUser)
	}
}
