package mail

import (
	"bufio"
	"bytes"
	"sync"
)

// A message goes on the wire from a buffer holding it whole, in "canonical" form:
// what net/textproto's DotWriter would put between the DATA command and the final
// ".", dot-stuffing apart (RFC 5321 §4.5.2). DATA then only adds the dots; BDAT
// (RFC 3030) sends the buffer as it is, so both deliver the same bytes.
//
// textproto's DotWriter turns a bare LF into CRLF and ends an unterminated last line
// with CRLF. It follows a small state machine in which "\r\r" leaves the
// "after CR" state, so a LF gets a CR inserted exactly when the run of CRs right
// before it has an even length (0 included): "\n" → "\r\n", "\r\n" stays,
// "\r\r\n" → "\r\r\r\n". canonical and appendCanonical reproduce that.

// canonical reports whether b is already what appendCanonical would make of it:
// non-empty, every LF after an odd run of CRs, ending with LF. go-mail's output
// always is (CRLF line ends), so the common case costs one IndexByte per line.
func canonical(b []byte) bool {
	if len(b) == 0 || b[len(b)-1] != '\n' {
		return false
	}
	for i := 0; ; {
		j := bytes.IndexByte(b[i:], '\n')
		if j < 0 {
			return true
		}
		j += i
		k := j // the run of CRs before the LF is b[k:j]
		for k > 0 && b[k-1] == '\r' {
			k--
		}
		if (j-k)%2 == 0 {
			return false
		}
		i = j + 1
	}
}

// appendCanonical appends to dst the canonical form of b, byte by byte as
// textproto's DotWriter goes (only for a message that is not canonical already).
func appendCanonical(dst, b []byte) []byte {
	afterCR := false // textproto's "wrote \r" state
	for _, c := range b {
		switch {
		case c == '\n' && !afterCR:
			dst = append(dst, '\r', '\n')
		default:
			dst = append(dst, c)
		}
		afterCR = c == '\r' && !afterCR
	}
	switch {
	case len(b) == 0:
		dst = append(dst, '\r', '\n')
	case b[len(b)-1] == '\n': // the end of a line
	case afterCR:
		dst = append(dst, '\n')
	default:
		dst = append(dst, '\r', '\n')
	}
	return dst
}

// writeDotStuffed writes a canonical message as DATA's content and its end
// ("." on a line of its own): a line starting with "." gets one more. The runs
// between "\n." are copied whole: textproto's DotWriter goes byte by byte, which was
// 9 % of a 10,000-student campaign's CPU.
func writeDotStuffed(w *bufio.Writer, b []byte) error {
	if len(b) > 0 && b[0] == '.' {
		w.WriteByte('.')
	}
	for {
		i := bytes.Index(b, []byte("\n."))
		if i < 0 {
			break
		}
		w.Write(b[:i+1])
		w.WriteByte('.')
		b = b[i+1:] // starts with the line's "."
	}
	w.Write(b)
	w.WriteString(".\r\n")
	return w.Flush()
}

// wireBuf holds one composed message. Buffers are pooled: an attestation mail is
// ~100 KB, and growing a fresh buffer to that size for each of 10,000 mails was
// measurable garbage.
type wireBuf struct{ b bytes.Buffer }

// maxPooled: a larger buffer (a preview's CSV for a big component) is left to the
// collector rather than kept for the next small mail.
const maxPooled = 1 << 20

var wirePool = sync.Pool{New: func() any { return new(wireBuf) }}

func getWireBuf() *wireBuf {
	w := wirePool.Get().(*wireBuf)
	w.b.Reset()
	return w
}

func putWireBuf(w *wireBuf) {
	if w.b.Cap() <= maxPooled {
		wirePool.Put(w)
	}
}
