package logging

import (
	"bytes"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"hypercerts/config"
)

func TestJournaldLinesHavePriorityAndNoTime(t *testing.T) {
	var b bytes.Buffer
	log := New(config.Log{Level: "debug", Format: "text"}, &b, func(k string) string {
		if k == "JOURNAL_STREAM" {
			return "8:12345"
		}
		return ""
	})
	log.With("tâche", "purge").Debug("détail")
	log.Info("campagne terminée", "campagne", "20261123-LMATH-201", "envoyés", 65)
	log.Warn("relance")
	log.Error("échec", "erreur", "SMTP 554")
	lines := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
	want := []string{"<7>level=DEBUG msg=détail tâche=purge", "<6>level=INFO msg=\"campagne terminée\" campagne=20261123-LMATH-201 envoyés=65",
		"<4>level=WARN msg=relance", "<3>level=ERROR msg=échec erreur=\"SMTP 554\""}
	if len(lines) != len(want) {
		t.Fatalf("lines = %q", lines)
	}
	for i := range want {
		if lines[i] != want[i] {
			t.Errorf("line %d = %q, want %q", i, lines[i], want[i])
		}
	}
}

func TestTerminalKeepsTimeAndLevelFilters(t *testing.T) {
	var b bytes.Buffer
	log := New(config.Log{Level: "warn", Format: "json"}, &b, func(string) string { return "" })
	log.Info("caché")
	log.Warn("visible")
	out := b.String()
	if strings.Contains(out, "caché") || !strings.Contains(out, `"time":`) || !strings.Contains(out, `"msg":"visible"`) || strings.HasPrefix(out, "<") {
		t.Fatalf("out = %q", out)
	}
}

func TestUnderJournaldComparesTheStream(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "log"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fi, _ := f.Stat()
	st := fi.Sys().(*syscall.Stat_t)
	if !UnderJournald(f, fmt.Sprintf("%d:%d", st.Dev, st.Ino)) {
		t.Error("own stream not recognised")
	}
	if UnderJournald(f, "1:2") {
		t.Error("another stream (a child's stderr redirected) taken for the journal")
	}
	if UnderJournald(f, "") {
		t.Error("no JOURNAL_STREAM: not journald")
	}
	if Level("nonsense") != slog.LevelInfo || Level("error") != slog.LevelError {
		t.Error("Level")
	}
}
