package syncbuf

import (
	"bytes"
	"strings"
	"sync"
	"testing"
)

// Lines written at once from many goroutines arrive whole (run with -race).
func TestConcurrentWritesStayWhole(t *testing.T) {
	var buf Buffer
	var plain bytes.Buffer
	w := Writer(&plain)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				buf.Write([]byte("ligne entière\n"))
				w.Write([]byte("ligne entière\n"))
			}
		})
	}
	wg.Wait()
	for _, s := range []string{buf.String(), plain.String()} {
		if n := strings.Count(s, "ligne entière\n"); n != 800 {
			t.Fatalf("%d whole lines, want 800", n)
		}
	}
	if Writer(nil) != nil {
		t.Error("Writer(nil) is not nil")
	}
}
