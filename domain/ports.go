package domain

import (
	"context"
	"io"
	"time"
)

// Apogee is everything the engine reads from Apogée (web services and SQL).
// Implementations wrap failures in *ExternalError so the engine can retry transient ones.
type Apogee interface {
	// OpenYears lists the years open in Apogée, newest first (ANNEE_UNI).
	OpenYears(ctx context.Context) ([]Year, error)
	// Components lists the components where the user holds TRAREF10 in domain RE (R02).
	Components(ctx context.Context, userCode string) ([]Component, error)
	// VDIs lists the diploma versions offered for a component and year (R04).
	VDIs(ctx context.Context, year, component string) ([]VDI, error)
	// VETs lists the graduating stage versions of a VDI for a year (R05).
	VETs(ctx context.Context, year string, vdi VDI) ([]VET, error)
	// Students lists the students registered in a VET (R06).
	Students(ctx context.Context, year string, vdi VDI, vet VET) ([]StudentRef, error)
	// Identity gives the student's identifiers and e-mail (R08). ErrNotFound if unknown.
	Identity(ctx context.Context, studentCode string) (Identity, error)
	// AdminInfo gives civil status and blockings (R08, R15).
	AdminInfo(ctx context.Context, studentCode string) (AdminInfo, error)
	// Contract gives the contract and VDI results of that diploma (R10); nil when none.
	Contract(ctx context.Context, studentCode, year string, vdi VDI) (*Contract, error)
	// DeliveryAuthorised tells whether RESULTAT_VDI.tem_dlv_aut_vdi = 'O' for an
	// admission session of that student, diploma and year (R13).
	DeliveryAuthorised(ctx context.Context, individualCode, year string, vdi VDI) (bool, error)
	// OfficialLabel gives the diploma's official label (R09).
	OfficialLabel(ctx context.Context, year string, vdi VDI) (string, error)
	// Signature gives the configured signer and their decrypted image (R16).
	Signature(ctx context.Context) (Signature, error)
}

// Attestation is everything printed on one attestation de réussite.
type Attestation struct {
	// Reference is the attestation's unique reference (CampaignReference,
	// SingleReference), printed and carried by its signed QR code.
	Reference    string
	Student      Student
	DiplomaLabel string // R09
	YearLabel    string // "2024-2025"
	Mention      Mention
	ECTS         string
	Signature    Signature
	IssuedAt     time.Time
}

// Renderer turns an attestation into a PDF.
type Renderer interface {
	Render(w io.Writer, a Attestation) error
}

// ContextRenderer is a Renderer whose outside calls (the signature's time-stamp from
// a TSA) end with ctx, so that stopping a campaign does not wait for a slow authority.
// The engine renders through it when the renderer has it.
type ContextRenderer interface {
	RenderContext(ctx context.Context, w io.Writer, a Attestation) error
}

// MailKind is one of the four mails of R17.
type MailKind string

const (
	MailCampaignCreated  MailKind = "campaign_created"  // R17a, to managers
	MailCampaignFinished MailKind = "campaign_finished" // R17b, to the launcher
	MailVaultOpened      MailKind = "vault_opened"      // R17c, to the student
	MailAttestation      MailKind = "attestation"       // R17d, to the student
	// MailPreviewExport carries a preview's CSV export to the manager who asked for it
	// over SSH (the file would otherwise stay on the server).
	MailPreviewExport MailKind = "preview_export"
)

// Mail is one message to send. The mailer owns the templates; Data feeds them.
type Mail struct {
	Kind        MailKind
	CampaignID  string
	StudentCode string // empty for manager mails
	// Ref tells apart several mails of one kind to one person in a campaign (R17b: one
	// summary per end of run); it is part of the Message-ID. Empty for the others.
	Ref string
	// To is where the mail goes; RealTo, in test mode, where it would have gone (R18).
	To     string
	RealTo string
	Data   MailData
	// Attachment, for MailAttestation: the PDF.
	AttachmentName string
	Attachment     []byte
}

// MailData is what the templates may print.
type MailData struct {
	University   string
	StudentName  string
	DiplomaLabel string
	YearLabel    string
	Campaign     Campaign
	Counts       map[EntryState]int
	TestMode     bool
	RealTo       string
}

// Mailer sends mails. A failure is an *ExternalError: ErrTransient for SMTP 4xx and
// network trouble (retry later), ErrPermanent for 5xx (with the server's reason in Msg).
type Mailer interface {
	Send(ctx context.Context, m Mail) error
}

// PrintBatch is one batch of the print channel: the attestations of a campaign's
// students, to be written as one PDF for printing and a CSV listing them.
type PrintBatch struct {
	// ID names the batch's files: "P20261203-1a2b3c4d5e6f", the day and a digest of
	// the campaign and the students, so the same batch keeps the same name.
	ID           string
	Campaign     Campaign
	Attestations []Attestation // the printer sorts them by name (French collation)
	CreatedAt    time.Time
}

// Printer writes print batches under the configured output folder.
type Printer interface {
	// Print writes the batch's PDF and CSV, each complete or absent (never half
	// written), and returns the PDF's path.
	Print(ctx context.Context, b PrintBatch) (string, error)
}

// RelayChecker is implemented by mailers that can check their relay without
// sending anything (SMTP: connect, EHLO, STARTTLS or TLS, AUTH). The engine checks
// before the first student of a run, so a dead relay or a wrong password records
// nothing. The error says what to fix.
type RelayChecker interface {
	Check(ctx context.Context) error
}

// Store keeps campaigns, their entries and their audit logs. Every write is durable
// when the call returns.
type Store interface {
	CreateCampaign(c *Campaign) error // assigns c.ID
	UpdateCampaign(c Campaign) error
	Campaign(id string) (Campaign, error) // ErrNotFound if absent
	Campaigns() ([]Campaign, error)       // newest first
	PutEntries(campaignID string, entries []Entry) error
	Entries(campaignID string) ([]Entry, error) // sorted by student code
	AppendAudit(campaignID string, r AuditRecord) error
	Audit(campaignID string) ([]AuditRecord, error) // oldest first
}

// AsyncEntryWriter is a Store that can queue an entry write without waiting for it:
// wait blocks until the write is durable and returns its outcome (the same as
// PutEntries'). The engine uses it to overlap a student's "mailed" write with the
// next student's render; it still waits for it before its next outside action.
type AsyncEntryWriter interface {
	PutEntriesAsync(campaignID string, entries []Entry) (wait func() error)
}

// RightsCache is a Store that keeps the last components Apogée gave each user (R02),
// so read-only work (campaign list and show, the UI's campaign list) goes on while
// Apogée is unreachable. Never used to launch, send or change anything.
type RightsCache interface {
	PutRights(userCode string, comps []Component, at time.Time) error
	Rights(userCode string) ([]Component, time.Time, error) // ErrNotFound if none
}

// Clock gives the time; tests fix it.
type Clock interface{ Now() time.Time }

// SystemClock is the real clock.
type SystemClock struct{}

func (SystemClock) Now() time.Time { return time.Now() }
