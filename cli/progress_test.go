package cli

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestProgressLine_LogsAPlainLineEvery15sOutsideATerminal(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	p := newProgressLine(&buf)
	clock := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	p.now = func() time.Time { return clock }
	for i := range 61 { // one update a second for a minute
		p.show("traités " + string(rune('0'+i%10)))
		clock = clock.Add(time.Second)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 4 || strings.Contains(buf.String(), "\r") {
		t.Fatalf("want 4 plain lines in a minute, got %q", buf.String())
	}
}
