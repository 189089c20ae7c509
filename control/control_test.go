package control

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"hypercerts/domain"
	"hypercerts/store"
)

func TestServeBackupStaleSocketAndSecondDaemon(t *testing.T) {
	dir := t.TempDir()
	st, err := store.Open(filepath.Join(dir, "h.db"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	st.CreateCampaign(&domain.Campaign{Year: "2024", VDI: domain.VDI{Dip: "D", Version: "1"}})
	sock := SocketPath(st.Path())

	if _, err := Backup(context.Background(), sock, &bytes.Buffer{}); !errors.Is(err, ErrNoDaemon) {
		t.Fatalf("no socket: %v", err)
	}
	// A socket file left by a daemon killed with SIGKILL.
	ln, _ := net.Listen("unix", sock)
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	ln.Close()
	if _, err := Backup(context.Background(), sock, &bytes.Buffer{}); !errors.Is(err, ErrNoDaemon) {
		t.Fatalf("stale socket: %v", err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, sock, st) }()
	for i := 0; !Running(context.Background(), sock); i++ {
		if i > 200 {
			t.Fatal("never answered")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if fi, err := os.Stat(sock); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("socket mode %v, %v", fi.Mode(), err)
	}
	if _, err := Listen(sock); !errors.Is(err, ErrRunning) {
		t.Fatalf("second daemon: %v", err)
	}
	var b bytes.Buffer
	n, err := Backup(context.Background(), sock, &b)
	if err != nil || n != int64(b.Len()) || n == 0 {
		t.Fatalf("backup: %d, %v", n, err)
	}
	copyFile := filepath.Join(dir, "copy.db")
	os.WriteFile(copyFile, b.Bytes(), 0o600)
	info, err := Inspect(copyFile)
	if err != nil || info.Campaigns != 1 || info.Schema != store.SchemaVersion {
		t.Fatalf("copy: %+v, %v", info, err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(sock); !os.IsNotExist(err) {
		t.Errorf("socket left after stop: %v", err)
	}
	// Not a store.
	junk := filepath.Join(dir, "junk")
	os.WriteFile(junk, bytes.Repeat([]byte("x"), 9000), 0o600)
	if _, err := Inspect(junk); !errors.Is(err, ErrNotAStore) {
		t.Errorf("junk: %v", err)
	}
}
