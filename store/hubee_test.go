package store

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"hypercerts/domain"
)

func TestHubEECases(t *testing.T) {
	path := filepath.Join(t.TempDir(), "h.db")
	s, err := Open(path, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.HubEECase("x"); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("absent : %v", err)
	}
	if list, err := s.HubEECases(); err != nil || len(list) != 0 {
		t.Fatalf("liste vide : %v %v", list, err)
	}
	t0 := time.Date(2025, 7, 1, 10, 0, 0, 0, time.UTC)
	a := domain.HubEECase{CaseID: "a", Process: "P", Received: t0, Step: domain.HubStepReceived, Status: domain.HubSIReceived}
	b := domain.HubEECase{CaseID: "b", Process: "P", Received: t0.Add(time.Hour), Outcome: domain.HubOutcomeToHandle,
		Files: []domain.HubEEFile{{AttachmentID: "f", Key: "case/f"}}}
	for _, c := range []domain.HubEECase{a, b} {
		if err := s.PutHubEECase(c); err != nil {
			t.Fatal(err)
		}
	}
	a.Step = domain.HubStepFinished
	if err := s.PutHubEECase(a); err != nil {
		t.Fatal(err)
	}
	if err := s.PutHubEECase(domain.HubEECase{}); !errors.Is(err, domain.ErrInvalid) {
		t.Fatalf("sans id : %v", err)
	}
	pdf := []byte("%PDF-1.4")
	if err := s.PutHubEEFile("b", "answer/x.pdf", pdf); err != nil {
		t.Fatal(err)
	}
	if _, err := s.HubEEFile("b", "nope"); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("fichier absent : %v", err)
	}
	if _, err := s.HubEEFile("zz", "nope"); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("dossier absent : %v", err)
	}
	// Durable across a reopen.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if s, err = Open(path, 0); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	list, err := s.HubEECases()
	if err != nil || len(list) != 2 || list[0].CaseID != "b" || list[1].CaseID != "a" || list[1].Step != domain.HubStepFinished {
		t.Fatalf("liste : %+v %v", list, err)
	}
	if list[0].Files[0].Key != "case/f" {
		t.Fatalf("fichiers : %+v", list[0].Files)
	}
	got, err := s.HubEEFile("b", "answer/x.pdf")
	if err != nil || !bytes.Equal(got, pdf) {
		t.Fatalf("fichier : %q %v", got, err)
	}
}

// HubEE files live on disk beside the base, 0600, visible only once committed, never
// in bbolt; the retention purge removes them.
func TestHubEEFilesOnDisk(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(filepath.Join(dir, "h.db"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	w, err := s.CreateHubEEFile("case-1", "case/../../etc/passwd")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("corrompu")); err != nil {
		t.Fatal(err)
	}
	if err := w.Reset(); err != nil { // a digest mismatch: start again
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("pièce vérifiée")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.HubEEFile("case-1", "case/../../etc/passwd"); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("visible avant Commit : %v", err)
	}
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	got, err := s.HubEEFile("case-1", "case/../../etc/passwd")
	if err != nil || string(got) != "pièce vérifiée" {
		t.Fatalf("lu : %q %v", got, err)
	}
	files, _ := filepath.Glob(filepath.Join(s.HubEEFilesDir(), "*", "*"))
	if len(files) != 1 || filepath.Dir(filepath.Dir(files[0])) != filepath.Join(dir, "hubee-files") {
		t.Fatalf("fichiers : %v", files)
	}
	if fi, err := os.Stat(files[0]); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("droits : %v %v", fi.Mode(), err)
	}
	if err := s.PutHubEECase(domain.HubEECase{CaseID: "case-1"}); err != nil {
		t.Fatal(err)
	}
	if err := s.PurgeHubEECase(domain.HubEECase{CaseID: "case-1"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.HubEEFile("case-1", "case/../../etc/passwd"); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("après la purge : %v", err)
	}
	if left, _ := filepath.Glob(filepath.Join(s.HubEEFilesDir(), "*")); len(left) != 0 {
		t.Fatalf("restes : %v", left)
	}
}
