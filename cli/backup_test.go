package cli

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"hypercerts/app"
	"hypercerts/config"
	"hypercerts/control"
	"hypercerts/domain"
	"hypercerts/store"
)

func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Main(args, Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }})
	return code, out.String(), errb.String()
}

// openDemo opens the demo app in a temporary folder and plays the daemon's control
// socket on its store.
func openDemo(t *testing.T, serve bool) (*app.App, string) {
	t.Helper()
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.Open(ctx, app.Options{Demo: true, DemoDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	if serve {
		go func() { done <- control.Serve(ctx, control.SocketPath(a.Store.Path()), a.Store) }()
		deadline := time.Now().Add(5 * time.Second)
		for !control.Running(context.Background(), control.SocketPath(a.Store.Path())) {
			if time.Now().After(deadline) {
				t.Fatal("control socket never answered")
			}
			time.Sleep(10 * time.Millisecond)
		}
	} else {
		done <- nil
	}
	t.Cleanup(func() {
		sctx, c := context.WithTimeout(context.Background(), 30*time.Second)
		defer c()
		a.Engine.Shutdown(sctx)
		cancel()
		if err := <-done; err != nil {
			t.Errorf("control.Serve: %v", err)
		}
		a.Close()
	})
	return a, dir
}

func TestBackup_WhileACampaignRunsThroughTheDaemon(t *testing.T) {
	t.Parallel()
	a, dir := openDemo(t, true)
	ctx := context.Background()
	vdi, _ := domain.ParseVDI("LMATH/201")
	camp, err := a.Engine.Launch(ctx, a.User, domain.PreviewRequest{Year: "2024", Component: "SCI", VDI: vdi}, domain.LaunchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	students := total(camp.Counts)
	if students < 50 {
		t.Fatalf("campaign of %d students: too small for the test", students)
	}
	finished := make(chan struct{})
	go func() { a.Engine.Wait(ctx, camp.ID); close(finished) }()

	copies, duringRun, lastMailed := 0, 0, -1
	check := func(file string) (domain.Campaign, []domain.Entry) {
		t.Helper()
		st, err := store.Open(file, time.Second)
		if err != nil {
			t.Fatalf("backup %s does not open: %v", file, err)
		}
		defer st.Close()
		c, err := st.Campaign(camp.ID)
		if err != nil {
			t.Fatalf("backup %s: %v", file, err)
		}
		entries, err := st.Entries(camp.ID)
		if err != nil || len(entries) != students {
			t.Fatalf("backup %s: %d entries (%v), want %d", file, len(entries), err, students)
		}
		return c, entries
	}
	for i := 0; ; i++ {
		select {
		case <-finished:
		default:
			file := filepath.Join(t.TempDir(), "copie.db")
			code, out, errs := runCLI(t, "backup", "--demo", "--demo-dir", dir, file)
			if code != 0 || !strings.Contains(out, "copie faite par le démon") {
				t.Fatalf("backup: exit %d, %q %q", code, out, errs)
			}
			c, entries := check(file)
			copies++
			if c.State == domain.CampaignRunning {
				duringRun++
			}
			mailed := 0
			for _, e := range entries {
				if e.State == domain.EntryMailed {
					mailed++
				}
			}
			if mailed < lastMailed {
				t.Fatalf("copy %d holds %d mailed entries, an earlier one %d: not consistent", i, mailed, lastMailed)
			}
			lastMailed = mailed
			if i < 200 {
				continue
			}
		}
		break
	}
	<-finished
	if duringRun == 0 {
		t.Fatalf("no copy taken while the campaign ran (%d copies)", copies)
	}
	t.Logf("%d copies, %d while the campaign ran", copies, duringRun)

	// After the run, the copy holds exactly what the store holds.
	file := filepath.Join(t.TempDir(), "final.db")
	if code, out, errs := runCLI(t, "backup", file, "--demo", "--demo-dir", dir); code != 0 {
		t.Fatalf("backup: exit %d, %q %q", code, out, errs)
	}
	c, entries := check(file)
	live, _ := a.Store.Entries(camp.ID)
	if c.State != domain.CampaignFinished {
		t.Errorf("final copy: campaign %s", c.State)
	}
	for i := range live {
		if entries[i].Student.Code != live[i].Student.Code || entries[i].State != live[i].State || entries[i].Attempts != live[i].Attempts {
			t.Fatalf("entry %d: copy %+v, store %+v", i, entries[i].State, live[i].State)
		}
	}
	if fi, err := os.Stat(file); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("backup mode = %v, %v; want 0600", fi.Mode(), err)
	}
	if _, err := os.Stat(file + ".partiel"); !os.IsNotExist(err) {
		t.Errorf("temporary file left behind: %v", err)
	}
	if fi, err := os.Stat(control.SocketPath(a.Store.Path())); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("control socket mode = %v, %v; want 0600", fi.Mode(), err)
	}
}

func TestBackup_DirectWhenNoDaemonAndRefusedWhenHeldSilently(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := config.Demo(dir)
	// No store yet: nothing to back up.
	if _, _, err := Backup(context.Background(), cfg, filepath.Join(dir, "x.db"), false); err == nil {
		t.Fatal("backup of a missing store: no error")
	}
	st, err := store.Open(cfg.Store.Path, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	c := &domain.Campaign{Year: "2024", VDI: domain.VDI{Dip: "LMATH", Version: "201"}}
	st.CreateCampaign(c)
	st.PutEntries(c.ID, []domain.Entry{{Row: domain.Row{Student: domain.Student{Code: "21000001"}}}})
	// Held by a process without control socket (a TUI): refused, with what to do.
	_, _, err = Backup(context.Background(), cfg, filepath.Join(dir, "held.db"), false)
	if err == nil || !strings.Contains(err.Error(), "ne répond pas") {
		t.Fatalf("backup of a store held silently: %v", err)
	}
	st.Close()

	file := filepath.Join(dir, "direct.db")
	code, out, errs := runCLI(t, "backup", "--demo", "--demo-dir", dir, file)
	if code != 0 || !strings.Contains(out, "copie directe") || !strings.Contains(out, "1 campagnes") {
		t.Fatalf("backup: exit %d, %q %q", code, out, errs)
	}
	// The store itself as target: refused.
	if code, _, errs := runCLI(t, "backup", "--demo", "--demo-dir", dir, cfg.Store.Path); code == 0 || !strings.Contains(errs, "la base elle-même") {
		t.Fatalf("backup onto the store: exit %d %q", code, errs)
	}
}

func TestRestore_RefusedWhileInUseOrNotAStore_ThenDone(t *testing.T) {
	t.Parallel()
	a, dir := openDemo(t, true)
	c := &domain.Campaign{Year: "2024", VDI: domain.VDI{Dip: "AVANT", Version: "1"}}
	if err := a.Store.CreateCampaign(c); err != nil {
		t.Fatal(err)
	}
	backup := filepath.Join(t.TempDir(), "b.db")
	if code, out, errs := runCLI(t, "backup", "--demo", "--demo-dir", dir, backup); code != 0 {
		t.Fatalf("backup: %d %q %q", code, out, errs)
	}
	// Daemon running: refused, says how.
	code, _, errs := runCLI(t, "restore", "--demo", "--demo-dir", dir, backup)
	if code == 0 || !strings.Contains(errs, "le démon tourne") || !strings.Contains(errs, "systemctl stop") {
		t.Fatalf("restore while the daemon runs: exit %d %q", code, errs)
	}
	cfg := config.Demo(dir)
	// Held without socket (a TUI open): refused too.
	hideSocket(t, a)
	_, _, err := Restore(context.Background(), cfg, backup)
	if !errors.Is(err, ErrStoreInUse) {
		t.Fatalf("restore while the store is held: %v", err)
	}
	// Not a store: refused before anything.
	junk := filepath.Join(t.TempDir(), "junk.db")
	os.WriteFile(junk, bytes.Repeat([]byte("pas une base "), 500), 0o600)
	if code, _, errs := runCLI(t, "restore", "--demo", "--demo-dir", dir, junk); code == 0 || !strings.Contains(errs, "n'est pas une base hypercerts") {
		t.Fatalf("restore of junk: exit %d %q", code, errs)
	}
	if code, _, errs := runCLI(t, "restore", "--demo", "--demo-dir", dir, filepath.Join(dir, "absent.db")); code == 0 || errs == "" {
		t.Fatalf("restore of a missing file: exit %d %q", code, errs)
	}
}

// hideSocket moves the control socket away: the store is then held by a process that
// does not answer on it (like a TUI), Restore's second guard.
func hideSocket(t *testing.T, a *app.App) {
	t.Helper()
	sock := control.SocketPath(a.Store.Path())
	if err := os.Rename(sock, sock+".ailleurs"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Rename(sock+".ailleurs", sock) })
}

func TestRestore_ReplacesAStoreNobodyHoldsAndKeepsTheOldOne(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := config.Demo(dir)
	put := func(dip string) {
		st, err := store.Open(cfg.Store.Path, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		if err := st.CreateCampaign(&domain.Campaign{Year: "2024", VDI: domain.VDI{Dip: dip, Version: "1"}}); err != nil {
			t.Fatal(err)
		}
	}
	put("AVANT")
	backup := filepath.Join(t.TempDir(), "b.db")
	if code, out, errs := runCLI(t, "backup", "--demo", "--demo-dir", dir, backup); code != 0 {
		t.Fatalf("backup: %d %q %q", code, out, errs)
	}
	put("APRES")
	code, out, errs := runCLI(t, "restore", "--demo", "--demo-dir", dir, backup)
	if code != 0 || !strings.Contains(out, "base restaurée") || !strings.Contains(out, "avant-restauration") {
		t.Fatalf("restore: exit %d %q %q", code, out, errs)
	}
	st, err := store.Open(cfg.Store.Path, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	list, _ := st.Campaigns()
	st.Close()
	if len(list) != 1 || list[0].VDI.Dip != "AVANT" {
		t.Fatalf("restored store holds %+v, want the AVANT campaign only", list)
	}
	kept, _ := filepath.Glob(cfg.Store.Path + ".avant-restauration-*")
	if len(kept) != 1 {
		t.Fatalf("old store kept as %v", kept)
	}
	info, err := control.Inspect(kept[0])
	if err != nil || info.Campaigns != 2 {
		t.Fatalf("kept store: %+v, %v; want 2 campaigns", info, err)
	}
}

func TestPurgeCommandAndHelp(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if code, out, errs := runCLI(t, "purge", "--demo", "--demo-dir", dir, "--days", "30"); code != 0 || !strings.Contains(out, "0 campagnes purgées") {
		t.Fatalf("purge: exit %d %q %q", code, out, errs)
	}
	for _, cmd := range []string{"backup", "restore", "purge", "version", "doctor"} {
		code, _, errs := runCLI(t, cmd, "--help")
		if code != 0 || !strings.Contains(errs, "Exemple") {
			t.Errorf("%s --help: exit %d, no example in %q", cmd, code, errs)
		}
	}
	if code, out, _ := runCLI(t, "version"); code != 0 || !strings.HasPrefix(out, "hypercerts ") {
		t.Errorf("version: %d %q", code, out)
	}
}

// A journal left beside a damaged base (store/journal.go) must not continue the base
// restored over it: restore removes it.
func TestRestore_OverADamagedBaseRemovesItsJournal(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := config.Demo(dir)
	st, err := store.Open(cfg.Store.Path, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.CreateCampaign(&domain.Campaign{Year: "2024", VDI: domain.VDI{Dip: "AVANT", Version: "1"}}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	backup := filepath.Join(t.TempDir(), "b.db")
	if code, out, errs := runCLI(t, "backup", "--demo", "--demo-dir", dir, backup); code != 0 {
		t.Fatalf("backup: %d %q %q", code, out, errs)
	}
	journal := store.JournalPath(cfg.Store.Path)
	if err := os.WriteFile(cfg.Store.Path, []byte("endommagée"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(journal, []byte("écritures de l'ancienne base"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out, errs := runCLI(t, "restore", "--demo", "--demo-dir", dir, backup); code != 0 {
		t.Fatalf("restore: exit %d %q %q", code, out, errs)
	}
	if _, err := os.Lstat(journal); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the replaced base's journal is still there (%v)", err)
	}
	// Its writes were not copied into the kept base (it did not open): the journal
	// goes beside it, which it continues.
	kept, _ := filepath.Glob(cfg.Store.Path + store.RestoreCopySuffix + "*" + store.JournalSuffix)
	if len(kept) != 1 {
		t.Fatalf("journal kept beside the replaced base: %v, want one", kept)
	}
	if data, err := os.ReadFile(kept[0]); err != nil || string(data) != "écritures de l'ancienne base" {
		t.Errorf("kept journal %q (%v)", data, err)
	}
}
