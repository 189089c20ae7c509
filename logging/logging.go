// Package logging builds hypercerts' log/slog logger from the configuration (log.level,
// log.format) and adapts it to where the lines go:
//
//   - on a terminal or in a file: text (or JSON) with the time, as slog writes it;
//   - under systemd (JOURNAL_STREAM set and naming the stream written to): no time
//     (journald stamps every line itself) and a "<N>" syslog priority prefix on each
//     line, which journald turns into the entry's PRIORITY (journalctl -p warning works).
//
// The daemon's wiring: log := logging.New(cfg.Log, os.Stderr, os.Getenv).
package logging

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"syscall"

	"hypercerts/config"
)

// New returns the logger the configuration asks for, writing to w. getenv reads
// JOURNAL_STREAM (nil: os.Getenv).
func New(c config.Log, w io.Writer, getenv func(string) string) *slog.Logger {
	if getenv == nil {
		getenv = os.Getenv
	}
	return slog.New(NewHandler(c, w, UnderJournald(w, getenv("JOURNAL_STREAM"))))
}

// Level parses log.level (debug | info | warn | error); anything else is info.
func Level(s string) slog.Level {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return slog.LevelInfo
	}
	return l
}

// NewHandler is the handler behind New; journald selects the journald form.
func NewHandler(c config.Log, w io.Writer, journald bool) slog.Handler {
	opts := &slog.HandlerOptions{Level: Level(c.Level)}
	if !journald {
		if strings.EqualFold(c.Format, "json") {
			return slog.NewJSONHandler(w, opts)
		}
		return slog.NewTextHandler(w, opts)
	}
	opts.ReplaceAttr = func(groups []string, a slog.Attr) slog.Attr {
		if len(groups) == 0 && a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}
	j := &journal{mu: &sync.Mutex{}, buf: &bytes.Buffer{}, w: w}
	if strings.EqualFold(c.Format, "json") {
		j.inner = slog.NewJSONHandler(j.buf, opts)
	} else {
		j.inner = slog.NewTextHandler(j.buf, opts)
	}
	return j
}

// UnderJournald tells whether w is the stream systemd connected to the journal:
// JOURNAL_STREAM is "device:inode" of that stream. When w is not a file (tests), a
// set JOURNAL_STREAM is enough.
func UnderJournald(w io.Writer, journalStream string) bool {
	if journalStream == "" {
		return false
	}
	f, ok := w.(*os.File)
	if !ok {
		return true
	}
	fi, err := f.Stat()
	if err != nil {
		return false
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return true
	}
	return journalStream == fmt.Sprintf("%d:%d", st.Dev, st.Ino)
}

// journal formats each record with the inner handler into a buffer and writes it with
// its syslog priority prefix, one Write per line.
type journal struct {
	mu    *sync.Mutex
	buf   *bytes.Buffer
	w     io.Writer
	inner slog.Handler
}

func (j *journal) Enabled(ctx context.Context, l slog.Level) bool { return j.inner.Enabled(ctx, l) }

func (j *journal) Handle(ctx context.Context, r slog.Record) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.buf.Reset()
	j.buf.WriteString(Priority(r.Level))
	if err := j.inner.Handle(ctx, r); err != nil {
		return err
	}
	_, err := j.w.Write(j.buf.Bytes())
	return err
}

func (j *journal) WithAttrs(as []slog.Attr) slog.Handler {
	return &journal{mu: j.mu, buf: j.buf, w: j.w, inner: j.inner.WithAttrs(as)}
}

func (j *journal) WithGroup(name string) slog.Handler {
	return &journal{mu: j.mu, buf: j.buf, w: j.w, inner: j.inner.WithGroup(name)}
}

// Priority is the sd-daemon prefix of a level: <3> error, <4> warning, <6> info, <7> debug.
func Priority(l slog.Level) string {
	switch {
	case l >= slog.LevelError:
		return "<3>"
	case l >= slog.LevelWarn:
		return "<4>"
	case l >= slog.LevelInfo:
		return "<6>"
	}
	return "<7>"
}
