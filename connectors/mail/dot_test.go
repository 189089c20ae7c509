package mail

import (
	"bufio"
	"bytes"
	"math/rand/v2"
	"net/textproto"
	"testing"
)

// The DATA writer escapes leading dots, turns bare LF into CRLF and ends the data
// exactly as net/textproto's DotWriter does (RFC 5321 §4.5.2), whatever the chunks.
func TestDotWriterWritesWhatTextprotoWrites(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	alphabet := []byte(".\r\nab.=\r\n")
	for i := range 2000 {
		msg := make([]byte, r.IntN(300))
		for j := range msg {
			msg[j] = alphabet[r.IntN(len(alphabet))]
		}
		if i == 0 {
			msg = []byte(".début\n..\r\nmilieu\r.\n.")
		}
		var want bytes.Buffer
		tw := textproto.NewWriter(bufio.NewWriter(&want))
		dw := tw.DotWriter()
		dw.Write(msg)
		dw.Close()

		var got bytes.Buffer
		bw := bufio.NewWriter(&got)
		d := &dotWriter{w: bw}
		for rest := msg; len(rest) > 0; { // random chunks: state carries across writes
			k := 1 + r.IntN(len(rest))
			if n, err := d.Write(rest[:k]); err != nil || n != k {
				t.Fatalf("Write = %d, %v", n, err)
			}
			rest = rest[k:]
		}
		if err := d.Close(); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Bytes(), want.Bytes()) {
			t.Fatalf("message %q:\n got %q\nwant %q", msg, got.Bytes(), want.Bytes())
		}
	}
}
