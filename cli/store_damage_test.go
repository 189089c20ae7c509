package cli

import (
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"hypercerts/domain"
	"hypercerts/store"
)

// demoStore fills the demo's store with one campaign of n students; returns its path and id.
func demoStore(t *testing.T, dir string, n int) (string, string) {
	t.Helper()
	path := filepath.Join(dir, "hypercerts.db")
	st, err := store.Open(path, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	c := &domain.Campaign{Year: "2024", Component: domain.Component{Code: "SCI"}, VDI: domain.VDI{Dip: "LMATH", Version: "201"},
		Mode: domain.ModeMail, State: domain.CampaignFinished, CreatedAt: time.Now(), CreatedBy: "demo"}
	if err := st.CreateCampaign(c); err != nil {
		t.Fatal(err)
	}
	var entries []domain.Entry
	for i := range n {
		entries = append(entries, domain.Entry{Row: domain.Row{Student: domain.Student{Code: fmt.Sprintf("%08d", i),
			LastName: "NOM", Email: fmt.Sprintf("e%d@etu.univ-demo.fr", i)}}, State: domain.EntryMailed})
	}
	if err := st.PutEntries(c.ID, entries); err != nil {
		t.Fatal(err)
	}
	return path, c.ID
}

func TestDamagedStore_CampaignCommandsSayWhichFileAndWhatToDo(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path, id := demoStore(t, dir, 3000)
	b, _ := os.ReadFile(path)
	ps := os.Getpagesize()
	for i := 4 * ps; i < len(b)-2*ps; i++ {
		b[i] = 0
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"campaign", "show", id}, {"campaign", "list"}, {"campaign", "relaunch", id}} {
		_, errOut, code := runMain(t, append(args, "--demo", "--demo-dir", dir, "--demo-students", "50")...)
		if code == 0 {
			t.Errorf("%v on a damaged base: exit 0", args)
		}
		if !strings.Contains(errOut, path) || !strings.Contains(errOut, "hypercerts restore") || strings.Contains(errOut, "goroutine") {
			t.Errorf("%v: message does not name the file and the way out:\n%s", args, errOut)
		}
	}
}

func TestEmptyStoreFile_IsNotSilentlyRecreated(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "hypercerts.db")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	_, errOut, code := runMain(t, "campaign", "list", "--demo", "--demo-dir", dir, "--demo-students", "50")
	if code == 0 || !strings.Contains(errOut, "vide") || !strings.Contains(errOut, path) {
		t.Fatalf("exit %d, %s; want a refusal naming the empty file", code, errOut)
	}
	if fi, _ := os.Stat(path); fi.Size() != 0 {
		t.Fatal("the empty base was re-created")
	}
}

func TestReadOnlyCommands_LeaveTheStoreFileUntouched(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path, id := demoStore(t, dir, 20)
	before, _ := os.ReadFile(path)
	for _, args := range [][]string{{"campaign", "list"}, {"campaign", "show", id}, {"hubee", "list"}} {
		if _, errOut, code := runMain(t, append(args, "--demo", "--demo-dir", dir, "--demo-students", "50")...); code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errOut)
		}
	}
	after, _ := os.ReadFile(path)
	if sha256.Sum256(before) != sha256.Sum256(after) {
		t.Fatal("a read-only command wrote to the store file")
	}
}
