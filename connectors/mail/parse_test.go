package mail_test

import (
	"bytes"
	"encoding/base64"
	"io"
	"mime"
	"mime/multipart"
	netmail "net/mail"
	"strings"
	"testing"
	"time"

	"hypercerts/domain"
)

// parsed is a received message taken apart with net/mail and mime/multipart.
type parsed struct {
	Header      netmail.Header
	Subject     string
	From        *netmail.Address
	To          []*netmail.Address
	ReplyTo     *netmail.Address
	MessageID   string
	Text        string
	HTML        string
	Attachments map[string]attachment
}

type attachment struct {
	ContentType string
	Data        []byte
}

func parseMessage(t testing.TB, raw []byte) parsed {
	t.Helper()
	msg, err := netmail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("message illisible : %v\n%s", err, raw)
	}
	p := parsed{Header: msg.Header, Attachments: map[string]attachment{}}
	dec := new(mime.WordDecoder)
	if p.Subject, err = dec.DecodeHeader(msg.Header.Get("Subject")); err != nil {
		t.Fatalf("Subject : %v", err)
	}
	if p.From, err = netmail.ParseAddress(msg.Header.Get("From")); err != nil {
		t.Fatalf("From : %v", err)
	}
	if p.To, err = msg.Header.AddressList("To"); err != nil {
		t.Fatalf("To : %v", err)
	}
	if rt := msg.Header.Get("Reply-To"); rt != "" {
		if p.ReplyTo, err = netmail.ParseAddress(rt); err != nil {
			t.Fatalf("Reply-To : %v", err)
		}
	}
	p.MessageID = msg.Header.Get("Message-ID")
	if _, err := msg.Header.Date(); err != nil {
		t.Fatalf("Date : %v", err)
	}
	walkPart(t, &p, msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), "", msg.Body)
	return p
}

func walkPart(t testing.TB, p *parsed, ctype, cte, disposition string, body io.Reader) {
	t.Helper()
	mt, params, err := mime.ParseMediaType(ctype)
	if err != nil {
		t.Fatalf("Content-Type %q : %v", ctype, err)
	}
	if strings.HasPrefix(mt, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			part, err := mr.NextPart()
			if err == io.EOF {
				return
			}
			if err != nil {
				t.Fatalf("partie MIME : %v", err)
			}
			// multipart.Reader already decodes quoted-printable (and drops the header).
			walkPart(t, p, part.Header.Get("Content-Type"), part.Header.Get("Content-Transfer-Encoding"),
				part.Header.Get("Content-Disposition"), part)
		}
	}
	var r = body
	if strings.EqualFold(cte, "base64") {
		r = base64.NewDecoder(base64.StdEncoding, body)
	}
	data, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("corps %s : %v", mt, err)
	}
	if disposition != "" {
		if d, dp, err := mime.ParseMediaType(disposition); err == nil && d == "attachment" {
			p.Attachments[dp["filename"]] = attachment{ContentType: mt, Data: data}
			return
		}
	}
	switch mt {
	case "text/plain":
		p.Text = strings.ReplaceAll(string(data), "\r\n", "\n")
	case "text/html":
		p.HTML = strings.ReplaceAll(string(data), "\r\n", "\n")
	default:
		t.Fatalf("partie inattendue %s", mt)
	}
}

// sample data shaped like what the engine passes.

var testCampaign = domain.Campaign{
	ID:        "C-2024-0007",
	Year:      "2024",
	Component: domain.Component{Code: "SCI", Label: "UFR Sciences et Techniques"},
	VDI:       domain.VDI{Dip: "LMATH", Version: "201", Label: "Licence Mathématiques"},
	VETs: []domain.VET{{Etape: "L3MATH", Version: "201", Label: "L3 Mathématiques"},
		{Etape: "L3MATI", Version: "201", Label: "L3 Maths-Info"}},
	DiplomaLabel: "Licence Sciences, technologies, santé mention Mathématiques parcours Mathématiques fondamentales",
	Mode:         domain.ModeMail,
	CreatedBy:    "jdupont",
	CreatedAt:    time.Date(2025, 7, 1, 9, 30, 0, 0, time.UTC),
	FinishedAt:   time.Date(2025, 7, 1, 10, 2, 0, 0, time.UTC),
	State:        domain.CampaignFinished,
}

func mailData(student string) domain.MailData {
	return domain.MailData{
		University:   "Université de Test",
		StudentName:  student,
		DiplomaLabel: testCampaign.DiplomaLabel,
		YearLabel:    "2024-2025",
		Campaign:     testCampaign,
	}
}

func attestationMail(code, to string, pdf []byte) domain.Mail {
	return domain.Mail{
		Kind: domain.MailAttestation, CampaignID: testCampaign.ID, StudentCode: code,
		To: to, Data: mailData("Marie-Hélène Lefèvre-Ñúñez"),
		AttachmentName: "attestation-" + code + ".pdf", Attachment: pdf,
	}
}
