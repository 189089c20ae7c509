package cli

import (
	"fmt"
	"io"
	"os"
	"strings"
)

// progressLine rewrites one status line on a terminal, and stays silent otherwise
// (scripts and CI logs get no carriage returns).
type progressLine struct {
	w     io.Writer
	tty   bool
	last  int
	total int
}

func newProgressLine(w io.Writer) *progressLine {
	tty := false
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			tty = true
		}
	}
	return &progressLine{w: w, tty: tty}
}

func (p *progressLine) show(s string) {
	if !p.tty {
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
