package mail_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"hypercerts/connectors/mail"
	"hypercerts/domain"
)

func TestEMLDir_WritesParsableMessagesIdempotently(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "courriels")
	e, err := mail.NewEMLDir(dir, nil, nil, mail.WithFrom("Scolarité Démo <scolarite@univ-demo.fr>"),
		mail.WithReplyTo("contact@univ-demo.fr"))
	if err != nil {
		t.Fatal(err)
	}
	pdf := fakePDF(20<<10, "eml")
	m := attestationMail("21901234", "marie@etu.univ-demo.fr", pdf)
	ctx := context.Background()
	if err := e.Send(ctx, m); err != nil {
		t.Fatal(err)
	}
	want := filepath.Join(dir, "attestation.C-2024-0007.21901234@univ-demo.fr.eml")
	if e.Path(m) != want {
		t.Errorf("Path = %s, %s attendu", e.Path(m), want)
	}
	raw, err := os.ReadFile(want)
	if err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(want); fi.Mode().Perm() != 0o600 { // a student's personal data
		t.Errorf("mode .eml = %v, 0600 attendu", fi.Mode().Perm())
	}
	p := parseMessage(t, raw)
	if p.MessageID != "<attestation.C-2024-0007.21901234@univ-demo.fr>" || p.From.Address != "scolarite@univ-demo.fr" ||
		p.To[0].Address != m.To || p.ReplyTo.Address != "contact@univ-demo.fr" {
		t.Errorf("en-têtes : id %s from %v to %v reply-to %v", p.MessageID, p.From, p.To, p.ReplyTo)
	}
	if !strings.HasPrefix(p.Subject, "Votre attestation de réussite") || !strings.Contains(p.Text, "Bonjour Marie-Hélène") {
		t.Errorf("contenu : %q\n%s", p.Subject, p.Text)
	}
	if !bytes.Equal(p.Attachments["attestation-21901234.pdf"].Data, pdf) {
		t.Error("PDF altéré")
	}
	if !bytes.Contains(raw, []byte("\r\n")) {
		t.Error("RFC 5322 : lignes terminées par CRLF attendues")
	}

	// Resending (after a crash) replaces the file: one file, no temporary left.
	for range 3 {
		if err := e.Send(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	other := attestationMail("21900002", "paul@etu.univ-demo.fr", fakePDF(100, "p"))
	if err := e.Send(ctx, other); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, en := range entries {
		names = append(names, en.Name())
	}
	if len(names) != 2 {
		t.Errorf("fichiers %v : 2 attendus", names)
	}
}

func TestR18_EMLDirTestModeGuard(t *testing.T) {
	dir := t.TempDir()
	e, err := mail.NewEMLDir(dir, nil, nil, mail.WithTestRecipient("recette@univ-demo.fr"))
	if err != nil {
		t.Fatal(err)
	}
	err = e.Send(context.Background(), attestationMail("1", "etudiant@etu.univ-demo.fr", []byte("%PDF")))
	if !errors.Is(err, domain.ErrPermanent) {
		t.Fatalf("erreur %v : refus attendu", err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 0 {
		t.Errorf("%d fichiers écrits malgré le refus", len(entries))
	}
	m := attestationMail("1", "recette@univ-demo.fr", []byte("%PDF"))
	m.RealTo = "etudiant@etu.univ-demo.fr"
	if err := e.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(e.Path(m))
	if err != nil {
		t.Fatal(err)
	}
	if p := parseMessage(t, raw); !strings.Contains(p.Text, "MODE TEST — destinataire réel : etudiant@etu.univ-demo.fr") {
		t.Errorf("bandeau absent :\n%s", p.Text)
	}
}

func TestAttestationWithoutPDFRefused(t *testing.T) {
	e, err := mail.NewEMLDir(t.TempDir(), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = e.Send(context.Background(), attestationMail("1", "a@etu.univ-demo.fr", nil))
	if !errors.Is(err, domain.ErrPermanent) || !strings.Contains(err.Error(), "sans PDF") {
		t.Fatalf("erreur %v", err)
	}
}
