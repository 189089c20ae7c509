package mail

import (
	"bufio"
	"bytes"
	"math/rand/v2"
	"net/textproto"
	"testing"
)

// DATA's content (the canonical form, then the dots) is exactly what net/textproto's
// DotWriter writes (RFC 5321 §4.5.2): leading dots doubled, bare LF turned into CRLF,
// the data ended by "." on a line of its own. BDAT sends the canonical form alone,
// so what the server keeps is the same either way.
func TestDotStuffingWritesWhatTextprotoWrites(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	alphabet := []byte(".\r\nab.=\r\n")
	for i := range 3000 {
		msg := make([]byte, r.IntN(300))
		for j := range msg {
			msg[j] = alphabet[r.IntN(len(alphabet))]
		}
		switch i {
		case 0:
			msg = []byte(".début\n..\r\nmilieu\r.\n.")
		case 1:
			msg = nil
		case 2:
			msg = []byte("a\r\r\nb\r\r\r\nc\r")
		}
		var want bytes.Buffer
		tw := textproto.NewWriter(bufio.NewWriter(&want))
		dw := tw.DotWriter()
		dw.Write(msg)
		dw.Close()

		body := msg
		if !canonical(body) {
			body = appendCanonical(nil, msg)
		}
		if !canonical(body) {
			t.Fatalf("message %q : forme canonique %q non reconnue comme telle", msg, body)
		}
		if again := appendCanonical(nil, body); !bytes.Equal(again, body) {
			t.Fatalf("message %q : %q puis %q", msg, body, again)
		}
		var got bytes.Buffer
		if err := writeDotStuffed(bufio.NewWriterSize(&got, 16), body); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Bytes(), want.Bytes()) {
			t.Fatalf("message %q:\n got %q\nwant %q", msg, got.Bytes(), want.Bytes())
		}
	}
}
