package cli

import (
	"io"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"hypercerts/attest"
	"hypercerts/config"
	"hypercerts/store"
	"hypercerts/verify/web"
)

// The signing keys travel in every backup and come back with restore: the current key
// (the one that signs) and the retired ones (that still verify). The key list the
// verification page serves at the well-known URL is the one `attestation keys` prints.
func TestAttestationKeysInBackupRestoredAndPublishedAlike(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := config.Demo(dir)
	st, err := store.Open(cfg.Store.Path, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	old, _, _, err := st.AttestationKey(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	tokOld, _ := attest.Sign(old, attest.Claims{Reference: "4ZCD-26RG-W84", Name: "A B", Label: "L", Issued: "2026-01-01", Issuer: "U"})
	cur, err := st.RotateAttestationKey(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	code, listed, errs := runCLI(t, "attestation", "keys", "--demo", "--demo-dir", dir)
	if code != 0 {
		t.Fatalf("attestation keys: %d %s", code, errs)
	}

	backup := filepath.Join(t.TempDir(), "b.db")
	if code, out, errs := runCLI(t, "backup", "--demo", "--demo-dir", dir, backup); code != 0 {
		t.Fatalf("backup: %d %q %q", code, out, errs)
	}
	if code, out, errs := runCLI(t, "attestation", "rotate-key", "--demo", "--demo-dir", dir); code != 0 || !strings.Contains(out, "nouvelle clé") {
		t.Fatalf("rotate-key: %d %q %q", code, out, errs)
	}
	if code, out, errs := runCLI(t, "restore", "--demo", "--demo-dir", dir, backup); code != 0 {
		t.Fatalf("restore: %d %q %q", code, out, errs)
	}

	st, err = store.Open(cfg.Store.Path, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	k, pubs, created, err := st.AttestationKey(time.Now())
	if err != nil || created || k.ID != cur.ID || !k.Private.Equal(cur.Private) {
		t.Fatalf("after restore the signing key is %v (created %v, %v), want %v", k.ID, created, err, cur.ID)
	}
	if len(pubs) != 2 {
		t.Fatalf("after restore %d public keys, want 2", len(pubs))
	}
	if _, _, err := attest.Verify(tokOld, pubs); err != nil {
		t.Errorf("a token of the retired key after restore: %v", err)
	}
	restored, _ := pubs.JWKS()
	if strings.TrimSpace(listed) != string(restored) {
		t.Errorf("key list before the backup:\n%s\nafter restore:\n%s", listed, restored)
	}

	// The well-known URL serves what `attestation keys` prints, from the same base.
	srv := httptest.NewServer(web.Handler(web.Options{University: "U", Keys: st.AttestationPublicKeys}))
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL + attest.WellKnownPath)
	if err != nil {
		t.Fatal(err)
	}
	served, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(served) != strings.TrimSpace(listed) {
		t.Errorf("well-known list:\n%s\nattestation keys:\n%s", served, listed)
	}
}
