package mail

import (
	"bytes"
	"strings"
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

// The placeholder cannot be mistaken for a mail's own content: a text or HTML body
// holding its base64 line (as a line of its own, twice) goes out unchanged, and the
// attachment, a CSV here (a preview's), still lands in the attachment part: the
// message is go-mail's own, byte for byte. (Quoted-printable breaks a 76-character
// line, and writeTo looks for the last occurrence: the attachment is the last part.)
func TestMessageWriteToPlaceholderInBody(t *testing.T) {
	text := "avant\n" + placeholderLine + "milieu\r\n" + strings.TrimSuffix(placeholderLine, "\r\n")
	build := func(att []byte) *gomail.Msg {
		msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent(), gomail.WithBoundary("frontiere"))
		msg.SetDateWithValue(time.Date(2025, 7, 1, 9, 30, 0, 0, time.UTC))
		msg.SetMessageIDWithValue("apercu.C1@univ-test.fr")
		if err := msg.From("scolarite@univ-test.fr"); err != nil {
			t.Fatal(err)
		}
		if err := msg.To("gestionnaire@univ-test.fr"); err != nil {
			t.Fatal(err)
		}
		msg.Subject("Aperçu")
		msg.SetBodyString(gomail.TypeTextPlain, text)
		msg.AddAlternativeString(gomail.TypeTextHTML, text)
		msg.AttachReadSeeker("apercu.csv", bytes.NewReader(att), gomail.WithFileContentType("text/csv; charset=utf-8"))
		return msg
	}
	att := fakeBytes(5000)
	var want, got bytes.Buffer
	if _, err := build(att).WriteTo(&want); err != nil {
		t.Fatal(err)
	}
	if err := (&message{msg: build(attachPlaceholder), att: att}).writeTo(&got); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), want.Bytes()) {
		t.Fatalf("message différent de celui de go-mail :\n got %.400q\nwant %.400q", got.Bytes(), want.Bytes())
	}
}
