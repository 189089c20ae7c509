package cli

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// progressLine rewrites one status line on a terminal. Elsewhere (scripts, cron, CI
// logs) it writes a plain line at most every logEvery, without carriage returns.
type progressLine struct {
	w      io.Writer
	tty    bool
	last   int
	total  int
	logged time.Time
	now    func() time.Time
}

// logEvery is how often a long run reports its progress in a log.
const logEvery = 15 * time.Second

func newProgressLine(w io.Writer) *progressLine {
	tty := false
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			tty = true
		}
	}
	return &progressLine{w: w, tty: tty, now: time.Now}
}

func (p *progressLine) show(s string) {
	if !p.tty {
		if now := p.now(); now.Sub(p.logged) >= logEvery {
			if !p.logged.IsZero() { // the first update is the start: nothing to tell yet
				fmt.Fprintln(p.w, s)
			}
			p.logged = now
		}
		return
	}
	pad := max(p.last-len([]rune(s)), 0)
	fmt.Fprint(p.w, "\r"+s+strings.Repeat(" ", pad))
	p.last = len([]rune(s))
}

func (p *progressLine) clear() {
	if p.tty && p.last > 0 {
		fmt.Fprint(p.w, "\r"+strings.Repeat(" ", p.last)+"\r")
		p.last = 0
	}
}
