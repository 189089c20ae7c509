package domain

import (
	"context"
	"io"
	"time"
)

// Hub is the HubEE port: what the engine's HubEESync needs from the hub, as the
// university's service instructeur (SI). Every method names the démarche (process code)
// it works for, since HubEE gives one credential pair per démarche. Errors wrap
// ErrNotFound, ErrTransient (retry with back-off) or ErrPermanent.
type Hub interface {
	// Processes lists the démarches configured (those with credentials).
	Processes() []string
	// Notifications returns one batch of at most max pending notifications of a
	// démarche. The hub sends them again until they are deleted; a batch shorter than max
	// is the last one.
	Notifications(ctx context.Context, process string, max int) ([]HubNotification, error)
	// DeleteNotification removes a notification once its outcome is stored.
	DeleteNotification(ctx context.Context, process, notificationID string) error
	// Case fetches a case with the télédossier's data and its attachments' metadata.
	Case(ctx context.Context, process, caseID string) (HubCase, error)
	// Event fetches an event of a case.
	Event(ctx context.Context, process, caseID, eventID string) (HubEvent, error)
	// DownloadCaseAttachment and DownloadEventAttachment write a file into w only once
	// its SHA-256 matched the hub's digest (a mismatch is retried, never accepted) and
	// its length the size declared in its metadata (size; 0: not checked, a mismatch
	// is permanent).
	DownloadCaseAttachment(ctx context.Context, process, caseID, attachmentID string, size int64, w io.Writer) (int64, error)
	DownloadEventAttachment(ctx context.Context, process, caseID, eventID, attachmentID string, size int64, w io.Writer) (int64, error)
	// SetCaseStatus moves a case to a status and tells the other side (a STATUS_UPDATE
	// event carrying message, in French; empty for none).
	SetCaseStatus(ctx context.Context, process, caseID string, from, to HubStatus, message string) error
	// UpdateCaseStatus changes the status alone (updateCase), without an event: the
	// answer's ATTACH_DEPOSIT event already told the other side (DONE).
	UpdateCaseStatus(ctx context.Context, process, caseID string, to HubStatus) error
	// AckEvent marks an event received (RECEIVED).
	AckEvent(ctx context.Context, process, caseID, eventID string) error
	// StartDeposit declares an answer carrying files (an ATTACH_DEPOSIT event), moving
	// the case to newStatus when it is sent (empty: unchanged). The returned event gives
	// the attachment ids to upload, in the order of files.
	StartDeposit(ctx context.Context, process, caseID string, message string, newStatus HubStatus, files []HubFile) (HubEvent, error)
	// UploadDeposit sends one declared file (size bytes from r).
	UploadDeposit(ctx context.Context, process, caseID, eventID, attachmentID string, r io.Reader, size int64) error
	// SendDeposit marks a deposit complete (SENT): the hub then notifies the OSL.
	SendDeposit(ctx context.Context, process, caseID, eventID string) error
	// CancelDeposit deletes a deposit not yet sent.
	CancelDeposit(ctx context.Context, process, caseID, eventID string) error
	// Request reads what an attestation request asks for from a case as stored: its
	// partnerAttributes or the identity attachment the démarche names (file reads a
	// stored file by its key), as p.Identity says. Errors are integration errors, in
	// French. Year and VDI default to p's.
	Request(p HubEEProcess, rec HubEECase, file func(key string) ([]byte, error)) (HubEERequest, error)
	// SameName reports whether two spellings of a name or an identifier (the
	// request's and Apogée's) are the same: case, accents, spaces, hyphens and
	// apostrophes apart.
	SameName(a, b string) bool
}

// HubEERequest is what an attestation request asks for.
type HubEERequest struct {
	StudentCode string
	INE         string
	LastName    string
	FirstName   string
	BirthDate   time.Time
	Year        string
	VDI         VDI
}

// HubStatus is the status of a HubEE case.
type HubStatus string

// The statuses of a case; the SI sets SI_RECEIVED, SI_INTG_ERROR, IN_PROGRESS,
// ADD_AWAITING, REFUSED and DONE.
const (
	HubNotified    HubStatus = "HUBEE_NOTIFIED"
	HubSent        HubStatus = "SENT"
	HubSIReceived  HubStatus = "SI_RECEIVED"
	HubSIIntgError HubStatus = "SI_INTG_ERROR"
	HubInProgress  HubStatus = "IN_PROGRESS"
	HubAddAwaiting HubStatus = "ADD_AWAITING"
	HubRefused     HubStatus = "REFUSED"
	HubDone        HubStatus = "DONE"
	HubClosed      HubStatus = "CLOSED"
)

// HubNotification says that a new case (EventID empty) or a new event waits.
type HubNotification struct {
	ID          string
	ProcessCode string
	CaseID      string
	EventID     string
	At          time.Time
}

// IsNewCase reports whether the notification announces a case rather than an event.
func (n HubNotification) IsNewCase() bool { return n.EventID == "" }

// HubCase is a case as the SI sees it.
type HubCase struct {
	ID          string
	ExternalID  string // the télédossier number given by the OSL
	ProcessCode string
	Status      HubStatus
	// PartnerAttributes: free text from the OSL, e.g. "codEtu=21000042;dateNaissance=2001-04-12".
	PartnerAttributes string
	Applicant         HubApplicant
	Attachments       []HubAttachment
	// Events of the case, oldest first (both sides): the sync reads them to find out
	// whether a status change or a deposit it may have sent before a crash reached the hub.
	Events  []HubEvent
	Created time.Time
}

// HubApplicant is the person who filed the request.
type HubApplicant struct {
	FirstName, LastName, Email string
}

// HubAttachment is the metadata of a file of a case or an event.
type HubAttachment struct {
	ID       string
	FileName string
	Type     string
	MimeType string
	Size     int64
	Status   string // PENDING, RECEIVED, CORRUPTED, REJECTED, DELETED
}

// HubEvent is an update of a case.
type HubEvent struct {
	ID          string
	CaseID      string
	ActionType  string // STATUS_UPDATE, ATTACH_DEPOSIT, COM_ADD…
	Status      string // IN_PROGRESS, SENT, RECEIVED
	Message     string
	NewStatus   HubStatus
	FromOSL     bool
	Attachments []HubAttachment
	Created     time.Time
}

// HubFile describes a file to deposit.
type HubFile struct {
	FileName string
	Type     string // the démarche's attachment type, e.g. "ATTESTATION"
	MimeType string
	Size     int64
}
