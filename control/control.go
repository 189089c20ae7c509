// Package control is the daemon's local control socket: a unix socket next to the
// store (set to mode 0600 as soon as it is created, so only the daemon's user — and
// root — can connect) through which the command line asks the running daemon for a
// backup, the one thing that needs the store it holds. bbolt lets one process own the
// file; a consistent backup while the daemon runs must therefore come from the daemon
// itself (one read transaction, store.CopyTo over bbolt's Tx.WriteTo: writers go on).
//
//	daemon: ln, err := control.Listen(control.SocketPath(st.Path())) // fails the start
//	        go control.ServeListener(ctx, ln, st)
//	CLI:    n, err := control.Backup(ctx, control.SocketPath(cfg.Store.Path), w)
//	        errors.Is(err, control.ErrNoDaemon) → no daemon: open the store directly
//
// The protocol is HTTP/1.1 over the unix socket: GET /backup streams the base
// (Content-Length is the size of the copy; a copy that fails midway is cut short, which
// Backup reports), GET /ping answers "ok".
package control

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"syscall"
	"time"

	"hypercerts/store"
)

// ErrNoDaemon: no daemon answers on the socket (absent, or left by a stopped daemon).
var ErrNoDaemon = errors.New("aucun démon hypercerts n'écoute sur le socket de contrôle")

// ErrRunning: a daemon already answers on the socket Serve was asked to create.
var ErrRunning = errors.New("un démon hypercerts répond déjà sur le socket de contrôle")

// SocketPath is where the control socket of the store at storePath lives.
func SocketPath(storePath string) string { return storePath + ".sock" }

// Serve is Listen then ServeListener: it answers on socketPath until ctx ends, then
// closes the listener, which removes the socket. A socket left by a daemon that died is replaced;
// one a live daemon answers on gives ErrRunning.
func Serve(ctx context.Context, socketPath string, st *store.Store) error {
	ln, err := Listen(socketPath)
	if err != nil {
		return err
	}
	return ServeListener(ctx, ln, st)
}

// Listen creates the socket and sets it to mode 0600, replacing a stale one; closing
// the listener removes it. Split from Serve so the
// daemon can fail at start-up, before its jobs run, when the socket cannot be made.
func Listen(socketPath string) (net.Listener, error) {
	if _, err := os.Lstat(socketPath); err == nil {
		if ping(context.Background(), socketPath) == nil {
			return nil, fmt.Errorf("%w : %s", ErrRunning, socketPath)
		}
		if err := os.Remove(socketPath); err != nil {
			return nil, fmt.Errorf("socket de contrôle %s périmé, impossible à retirer : %w", socketPath, err)
		}
	}
	ln, err := net.Listen("unix", socketPath)
	if err != nil {
		return nil, fmt.Errorf("socket de contrôle %s : %w", socketPath, err)
	}
	if err := os.Chmod(socketPath, 0o600); err != nil {
		ln.Close()
		return nil, fmt.Errorf("socket de contrôle %s : %w", socketPath, err)
	}
	if ul, ok := ln.(*net.UnixListener); ok {
		ul.SetUnlinkOnClose(true)
	}
	return ln, nil
}

// ServeListener answers on ln until ctx ends (ln is closed; a backup in flight is not
// cut) or ln fails.
func ServeListener(ctx context.Context, ln net.Listener, st *store.Store) error {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /ping", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok\n") })
	mux.HandleFunc("GET /backup", func(w http.ResponseWriter, r *http.Request) { backup(w, st) })
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
			sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = srv.Shutdown(sctx)
		case <-done:
		}
	}()
	err := srv.Serve(ln)
	close(done)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

func backup(w http.ResponseWriter, st *store.Store) {
	_, err := st.CopyTo(w, func(size int64) {
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Length", strconv.FormatInt(size, 10))
	})
	if err != nil {
		// Headers are gone: the short body tells the client (Content-Length mismatch).
		panic(http.ErrAbortHandler)
	}
}

func client(socketPath string) *http.Client {
	return &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", socketPath)
		},
		DisableKeepAlives: true,
	}}
}

func get(ctx context.Context, socketPath, path string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://hypercerts"+path, nil)
	if err != nil {
		return nil, err
	}
	resp, err := client(socketPath).Do(req)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ENOENT) {
			return nil, fmt.Errorf("%w (%s)", ErrNoDaemon, socketPath)
		}
		if errors.Is(err, os.ErrPermission) {
			return nil, fmt.Errorf("socket de contrôle %s : accès refusé ; lancez la commande sous l'utilisateur du démon (sudo -u hypercerts …)", socketPath)
		}
		return nil, fmt.Errorf("socket de contrôle %s : %w", socketPath, err)
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, fmt.Errorf("socket de contrôle %s : le démon répond HTTP %d", socketPath, resp.StatusCode)
	}
	return resp, nil
}

func ping(ctx context.Context, socketPath string) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	resp, err := get(ctx, socketPath, "/ping")
	if err != nil {
		return err
	}
	resp.Body.Close()
	return nil
}

// Running reports whether a daemon answers on socketPath.
func Running(ctx context.Context, socketPath string) bool { return ping(ctx, socketPath) == nil }

// Backup asks the daemon for a consistent copy of its store and writes it to w. It
// returns the bytes written; ErrNoDaemon when no daemon answers (back up the file
// directly then); an error when the copy arrives short.
func Backup(ctx context.Context, socketPath string, w io.Writer) (int64, error) {
	resp, err := get(ctx, socketPath, "/backup")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	n, err := io.Copy(w, resp.Body)
	if err != nil {
		return n, fmt.Errorf("copie interrompue après %d octets : %w", n, err)
	}
	if resp.ContentLength >= 0 && n != resp.ContentLength {
		return n, fmt.Errorf("copie incomplète : %d octets reçus sur %d", n, resp.ContentLength)
	}
	return n, nil
}
