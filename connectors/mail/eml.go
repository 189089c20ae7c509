package mail

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"hypercerts/domain"
)

// EMLDir is the Mailer of the demo mode: each mail is written into a folder as an
// RFC 5322 .eml file (the same message SMTP would carry), named after its
// Message-ID. Writes are atomic (temporary file, fsync, rename) and sending the same
// mail again replaces the file: the folder never holds duplicates or half files.
type EMLDir struct {
	dir  string
	comp *composer
}

var _ domain.Mailer = (*EMLDir)(nil)

// EMLOption adjusts an EMLDir.
type EMLOption func(*emlOptions)

type emlOptions struct{ from, replyTo, testRecipient string }

// WithFrom sets the From address written in the files (default: a demo address).
func WithFrom(from string) EMLOption { return func(o *emlOptions) { o.from = from } }

// WithReplyTo sets the Reply-To address.
func WithReplyTo(addr string) EMLOption { return func(o *emlOptions) { o.replyTo = addr } }

// WithTestRecipient applies the test-mode guard of R18 as SMTP does.
func WithTestRecipient(addr string) EMLOption {
	return func(o *emlOptions) { o.testRecipient = addr }
}

// NewEMLDir creates dir if needed. tpl nil means the embedded templates; log nil discards.
func NewEMLDir(dir string, tpl *Templates, log *slog.Logger, opts ...EMLOption) (*EMLDir, error) {
	o := emlOptions{from: defaultDemoFrom}
	for _, opt := range opts {
		opt(&o)
	}
	if dir == "" {
		return nil, fmt.Errorf("dossier des courriels (.eml) non renseigné")
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("dossier des courriels %s : %w", dir, err)
	}
	comp, err := newComposer(tpl, o.from, o.replyTo, o.testRecipient, log, "EML")
	if err != nil {
		return nil, err
	}
	return &EMLDir{dir: dir, comp: comp}, nil
}

// Dir is the folder written to.
func (e *EMLDir) Dir() string { return e.dir }

// Path is the file a mail is (or will be) written to.
func (e *EMLDir) Path(m domain.Mail) string {
	return filepath.Join(e.dir, MessageID(m, e.comp.fromDomain)+".eml")
}

// Send writes m as dir/{Message-ID}.eml.
func (e *EMLDir) Send(ctx context.Context, m domain.Mail) error {
	if err := ctx.Err(); err != nil {
		return &domain.ExternalError{System: "EML", Op: "écriture", Kind: domain.ErrTransient, Err: err}
	}
	msg, id, err := e.comp.compose(m)
	if err != nil {
		return err
	}
	final := filepath.Join(e.dir, id+".eml")
	fail := func(err error) error {
		return &domain.ExternalError{System: "EML", Op: "écriture", Kind: domain.ErrTransient,
			Msg: fmt.Sprintf("%s : %v", final, err), Err: err}
	}
	f, err := os.CreateTemp(e.dir, ".tmp-*.eml")
	if err != nil {
		return fail(err)
	}
	tmp := f.Name()
	defer os.Remove(tmp) // no-op once renamed
	buf := getWireBuf()
	defer putWireBuf(buf)
	if err := msg.writeTo(&buf.b); err != nil {
		f.Close()
		return fail(err)
	}
	if _, err := f.Write(buf.b.Bytes()); err != nil {
		f.Close()
		return fail(err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fail(err)
	}
	if err := f.Close(); err != nil {
		return fail(err)
	}
	if err := os.Chmod(tmp, 0o600); err != nil { // a student's personal data
		return fail(err)
	}
	if err := os.Rename(tmp, final); err != nil {
		return fail(err)
	}
	e.comp.log.Debug("courriel écrit", "fichier", final, "type", string(m.Kind), "campagne", m.CampaignID,
		"étudiant", m.StudentCode)
	return nil
}
