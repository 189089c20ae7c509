package mail

import (
	"bytes"
	"testing"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// writeTo writes the attachment where go-mail would, in the same bytes: the message is
// identical to go-mail's own for attachments of every length modulo a base64 line.
func TestMessageWriteToIsGoMailsOutput(t *testing.T) {
	if len(attachPlaceholder) != 57 {
		t.Fatalf("the placeholder is %d bytes: 57 make one base64 line", len(attachPlaceholder))
	}
	date := time.Date(2025, 7, 1, 9, 30, 0, 0, time.UTC)
	build := func(att []byte) *gomail.Msg {
		msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent(), gomail.WithBoundary("frontiere"))
		msg.SetDateWithValue(date)
		msg.SetMessageIDWithValue("attestation.C1.21901234@univ-test.fr")
		if err := msg.From("Scolarité <scolarite@univ-test.fr>"); err != nil {
			t.Fatal(err)
		}
		if err := msg.To("etudiant@etu.univ-test.fr"); err != nil {
			t.Fatal(err)
		}
		msg.Subject("Votre attestation de réussite")
		msg.SetBodyString(gomail.TypeTextPlain, "Bonjour,\n\nci-joint votre attestation.\n")
		msg.AddAlternativeString(gomail.TypeTextHTML, "<p>Bonjour,</p>")
		msg.AttachReadSeeker("attestation.pdf", bytes.NewReader(att), gomail.WithFileContentType("application/pdf"))
		return msg
	}
	for _, n := range []int{1, 2, 3, 56, 57, 58, 114, 1000, 70 << 10} {
		att := fakeBytes(n)
		var want bytes.Buffer
		if _, err := build(att).WriteTo(&want); err != nil {
			t.Fatal(err)
		}
		got := bytes.NewBufferString("déjà là|") // writeTo appends
		if err := (&message{msg: build(attachPlaceholder), att: att}).writeTo(got); err != nil {
			t.Fatal(err)
		}
		if g := bytes.TrimPrefix(got.Bytes(), []byte("déjà là|")); !bytes.Equal(g, want.Bytes()) {
			i := 0
			for i < min(len(g), want.Len()) && g[i] == want.Bytes()[i] {
				i++
			}
			t.Fatalf("%d octets : message différent de celui de go-mail à l'octet %d\n got %q\nwant %q", n, i,
				g[max(0, i-100):min(len(g), i+100)], want.Bytes()[max(0, i-100):min(want.Len(), i+100)])
		}
	}
}

func fakeBytes(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*131 + i/7)
	}
	return b
}
