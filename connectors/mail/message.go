package mail

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	netmail "net/mail"
	"strings"

	gomail "github.com/wneessen/go-mail"

	"hypercerts/domain"
)

// MessageID is the Message-ID (without angle brackets) of a mail:
// "{kind}.{campaign}.{student}@{from-domain}". It depends only on the kind, the
// campaign and the student, so a mail sent again after a crash carries the same id
// and can be recognised as a duplicate. For manager mails (no student) the
// recipient takes the student's place: "campaign_created.C42.jdupont-univ-x.fr@univ-x.fr";
// in test mode, the real recipient. Only the address is used: a display name
// ("Gérard Martin <g.martin@…>") never leaks into the id. A mail with a Ref (R17b:
// the end summary of each run) gets it as a fourth part, so a second summary is a new
// message that duplicate-suppressing systems do not hide:
// "campaign_finished.C42.jdupont-univ-x-fr.2@univ-x.fr".
func MessageID(m domain.Mail, fromDomain string) string {
	who := m.StudentCode
	if who == "" {
		who = mustAddr(firstNonEmpty(m.RealTo, m.To))
	}
	id := sanitizeAtom(string(m.Kind)) + "." + sanitizeAtom(m.CampaignID) + "." + sanitizeAtom(who)
	if m.Ref != "" {
		id += "." + sanitizeAtom(m.Ref)
	}
	return id + "@" + sanitizeDomain(fromDomain)
}

// sanitizeAtom keeps [A-Za-z0-9_-] and turns anything else (including dots, so the
// three parts stay apart) into '-'. Empty gives "x".
func sanitizeAtom(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_', r == '-':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	if b.Len() == 0 {
		return "x"
	}
	return b.String()
}

// sanitizeDomain keeps a dot-atom of [a-z0-9-] labels.
func sanitizeDomain(s string) string {
	var labels []string
	for _, l := range strings.Split(strings.ToLower(s), ".") {
		var b strings.Builder
		for _, r := range l {
			if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' {
				b.WriteRune(r)
			}
		}
		if b.Len() > 0 {
			labels = append(labels, b.String())
		}
	}
	if len(labels) == 0 {
		return "hypercerts.invalid"
	}
	return strings.Join(labels, ".")
}

// composer turns a domain.Mail into a go-mail message; shared by SMTP and EMLDir so
// both produce the same content.
type composer struct {
	tpl        *Templates
	from       *netmail.Address
	replyTo    *netmail.Address
	fromDomain string
	// testRecipient non-empty is test mode (R18).
	testRecipient string
	log           *slog.Logger
	system        string // "SMTP" or "EML"
}

func newComposer(tpl *Templates, from, replyTo, testRecipient string, log *slog.Logger, system string) (*composer, error) {
	if tpl == nil {
		var err error
		if tpl, err = LoadTemplates(""); err != nil {
			return nil, err
		}
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c := &composer{tpl: tpl, testRecipient: testRecipient, log: log, system: system}
	var err error
	if c.from, err = parseAddr(from); err != nil {
		return nil, fmt.Errorf("expéditeur %q invalide : %w", from, err)
	}
	if replyTo != "" {
		if c.replyTo, err = parseAddr(replyTo); err != nil {
			return nil, fmt.Errorf("adresse de réponse %q invalide : %w", replyTo, err)
		}
	}
	_, c.fromDomain, _ = strings.Cut(c.from.Address, "@")
	return c, nil
}

// permanent builds the error for a mail that can never be sent as it is.
func (c *composer) permanent(op, format string, args ...any) error {
	return &domain.ExternalError{System: c.system, Op: op, Kind: domain.ErrPermanent, Msg: fmt.Sprintf(format, args...)}
}

// guard applies test mode (R18) as a last line of defence: the engine already
// redirected every mail to the test address; anything else is refused. For student
// mails, it logs where the mail would have gone. It also makes sure the banner shows.
func (c *composer) guard(m *domain.Mail) error {
	if _, err := parseAddr(m.To); err != nil {
		return c.permanent("destinataire", "adresse %q invalide : %v", m.To, err)
	}
	if c.testRecipient == "" {
		return nil
	}
	if !sameAddress(m.To, c.testRecipient) {
		return c.permanent("mode test",
			"courriel %s pour %s refusé : en mode test, seule l'adresse de test %s est autorisée",
			m.Kind, m.To, c.testRecipient)
	}
	m.Data.TestMode = true
	if m.Data.RealTo == "" {
		m.Data.RealTo = m.RealTo
	}
	if m.Kind == domain.MailAttestation || m.Kind == domain.MailVaultOpened || m.StudentCode != "" {
		real := firstNonEmpty(m.RealTo, m.Data.RealTo, "(inconnu)")
		c.log.Info(fmt.Sprintf("mode test : courriel pour %s redirigé vers %s", real, m.To),
			"type", string(m.Kind), "campagne", m.CampaignID, "étudiant", m.StudentCode,
			"destinataire_réel", real, "destinataire", m.To)
	}
	return nil
}

// message is a composed mail: go-mail's message, whose attachment (if any) is a
// placeholder, and the attachment's bytes, which writeTo encodes in its place.
type message struct {
	msg *gomail.Msg
	att []byte
}

// attachPlaceholder stands for the attachment in go-mail's message: 57 bytes, so
// go-mail writes them as one base64 line of 76 characters (placeholderLine), which
// cannot occur elsewhere in a message (the text parts are quoted-printable).
var (
	attachPlaceholder = []byte("hypercerts: the attachment is base64-encoded here, once!!")
	placeholderLine   = base64.StdEncoding.EncodeToString(attachPlaceholder) + "\r\n"
)

// writeTo appends the message to dst as go-mail writes it, with the attachment
// encoded straight into dst: go-mail encodes through a line-breaking writer into a
// buffer grown for each mail, then copies it (for a ~70 KB PDF, a third of the
// mailer's CPU and ~300 KB of garbage per mail). The bytes are the same: base64 in
// lines of 76 characters, each ended by CRLF (RFC 2045 §6.8).
func (m *message) writeTo(dst *bytes.Buffer) error {
	start := dst.Len()
	if _, err := m.msg.WriteTo(dst); err != nil {
		return err
	}
	if m.att == nil {
		return nil
	}
	i := bytes.LastIndex(dst.Bytes()[start:], []byte(placeholderLine))
	if i < 0 {
		return errors.New("pièce jointe introuvable dans le message composé")
	}
	i += start
	tail := bytes.Clone(dst.Bytes()[i+len(placeholderLine):]) // the closing boundary
	dst.Truncate(i)
	const in, out = 57, 76 // bytes per line, and their base64
	dst.Grow((len(m.att)+in-1)/in*(out+2) + len(tail))
	for a := m.att; len(a) > 0; {
		n := min(len(a), in)
		line := dst.AvailableBuffer()[:base64.StdEncoding.EncodedLen(n)]
		base64.StdEncoding.Encode(line, a[:n])
		dst.Write(line)
		dst.WriteString("\r\n")
		a = a[n:]
	}
	dst.Write(tail)
	return nil
}

// compose renders m and builds the message. The returned id is without brackets.
func (c *composer) compose(m domain.Mail) (*message, string, error) {
	if err := c.guard(&m); err != nil {
		return nil, "", err
	}
	if m.Kind == domain.MailAttestation && len(m.Attachment) == 0 {
		return nil, "", c.permanent("préparation", "attestation de l'étudiant %s sans PDF joint", m.StudentCode)
	}
	r, err := c.tpl.Render(m)
	if err != nil {
		return nil, "", c.permanent("modèle", "%v", err)
	}
	id := MessageID(m, c.fromDomain)
	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	msg.FromMailAddress(c.from)
	if err := msg.To(m.To); err != nil {
		return nil, "", c.permanent("destinataire", "adresse %q invalide : %v", m.To, err)
	}
	if c.replyTo != nil {
		msg.ReplyToMailAddress(c.replyTo)
	}
	msg.Subject(r.Subject)
	msg.SetMessageIDWithValue(id)
	msg.SetDate()
	msg.SetGenHeader("Auto-Submitted", "auto-generated")
	msg.SetGenHeader("X-Auto-Response-Suppress", "All")
	msg.SetGenHeader("X-Hypercerts-Kind", string(m.Kind))
	msg.SetGenHeader("X-Hypercerts-Campaign", m.CampaignID)
	msg.SetBodyString(gomail.TypeTextPlain, r.Text)
	msg.AddAlternativeString(gomail.TypeTextHTML, r.HTML)
	if len(m.Attachment) > 0 {
		ct := gomail.ContentType("application/pdf")
		if strings.HasSuffix(m.AttachmentName, ".csv") {
			ct = "text/csv; charset=utf-8"
		}
		msg.AttachReadSeeker(firstNonEmpty(m.AttachmentName, defaultAttachName), bytes.NewReader(attachPlaceholder),
			gomail.WithFileContentType(ct))
		return &message{msg: msg, att: m.Attachment}, id, nil
	}
	return &message{msg: msg}, id, nil
}
