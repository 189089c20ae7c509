// Package syncbuf serializes writes from several goroutines: a log written by a
// campaign's workers or a daemon's jobs, an SSH session's output, read by a test or
// shared by a command's log and its own messages.
package syncbuf

import (
	"bytes"
	"io"
	"os"
	"sync"
)

// Buffer is a bytes.Buffer safe for concurrent writers and readers.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

// String is what was written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// Writer serializes the writes to w, so that lines written at once do not interleave.
// A file (stderr, the journal) and nil are returned as they are: the kernel keeps each
// write whole.
func Writer(w io.Writer) io.Writer {
	if _, ok := w.(*os.File); ok || w == nil {
		return w
	}
	return &locked{w: w}
}

type locked struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *locked) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
