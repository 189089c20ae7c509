package render

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"

	"hypercerts/connectors/apogee"
	"hypercerts/connectors/apogee/sim"
	"hypercerts/internal/testenv"
)

// TestR16_OfficialStampBesideSignature: the embedded Apogée's president has an
// official stamp (SIGN_TAMP_DIGITALISE.IMG_TAM_STD), the former president none. Read
// through the connector's real query and decrypted like the signature, the stamp is
// printed beside the signature when present (one more image in the PDF, 160×160 px
// as the embedded Apogée draws it) and nothing stands for it when absent. poppler's
// pdfimages counts the images.
func TestR16_OfficialStampBesideSignature(t *testing.T) {
	pdfimages := testenv.Tool(t, "pdfimages", "poppler-utils")
	a, err := sim.Open(sim.Options{Seed: 1, Students: 10})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.Close() })
	db, err := apogee.OpenDB(a.DB(), apogee.DialectSQLite, "")
	if err != nil {
		t.Fatal(err)
	}
	images := func(code string) (int, string) {
		t.Helper()
		sig, err := db.Signature(context.Background(), code, sim.SignatureKey)
		if err != nil {
			t.Fatalf("%s: %v", code, err)
		}
		att := sample(t)
		att.Signature = sig
		path := t.TempDir() + "/a.pdf"
		if err := os.WriteFile(path, render(t, newRenderer(t), att), 0o600); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(pdfimages, "-list", path).CombinedOutput()
		if err != nil {
			t.Fatalf("pdfimages: %v\n%s", err, out)
		}
		n := 0
		for _, l := range strings.Split(string(out), "\n")[2:] {
			if f := strings.Fields(l); len(f) > 2 && f[2] == "image" {
				n++
			}
		}
		return n, string(out)
	}
	with, listWith := images(sim.SignerCode)
	without, listWithout := images(sim.SignerWithoutStamp)
	if without != 1 {
		t.Errorf("sans tampon : %d images, want 1 (the signature)\n%s", without, listWithout)
	}
	if with != without+1 || !strings.Contains(listWith, " 160   160 ") {
		t.Errorf("avec tampon : %d images, want %d with a 160×160 stamp\n%s", with, without+1, listWith)
	}
}

// TestRenderStampErrors: a stamp that is not a readable PNG or JPEG is an error naming
// the stamp, as for the signature.
func TestRenderStampErrors(t *testing.T) {
	att := sample(t)
	att.Signature.Stamp = []byte("pas une image")
	err := newRenderer(t).Render(new(strings.Builder), att)
	if err == nil || !strings.Contains(err.Error(), "tampon officiel") {
		t.Fatalf("err = %v", err)
	}
}
