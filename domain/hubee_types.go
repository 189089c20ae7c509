package domain

import (
	"io"
	"time"
)

// HubEE service-instructeur sync: the settings, the case record kept in the store, the
// store port and the report of a run. The engine itself is in hubee_sync.go.

// HubEERole is what hypercerts does with the cases of a démarche.
type HubEERole string

// Roles of a démarche.
const (
	// HubEEAttestationRequest: answer with the attestation de réussite (or a refusal).
	HubEEAttestationRequest HubEERole = "attestation_request"
	// HubEEOther: acknowledge and list the case for a person to handle.
	HubEEOther HubEERole = "other"
)

// Where the student's identity is in a case.
const (
	HubEEIdentityPartnerAttributes = "partner_attributes"
	HubEEIdentityAttachment        = "attachment"
)

// HubEEProcess is one démarche as the sync sees it (filled from the configuration by
// app/hubee.go).
type HubEEProcess struct {
	Code     string
	Role     HubEERole
	Identity HubEEIdentity
	// Year and VDI used when the case does not carry them (empty: the case must say the
	// VDI; without a year, the newest open year where the student has a contract for
	// that VDI is taken).
	Year string
	VDI  VDI
	// DepositType is the démarche's attachment type of the PDF answered (default
	// "ATTESTATION").
	DepositType string
}

// HubEEIdentity says where the student's identity is in a case: the case's
// partnerAttributes ("clé=valeur;clé=valeur" or a JSON object) or an attached JSON or
// XML file whose name matches AttachmentName (a glob, e.g. "*.json").
type HubEEIdentity struct {
	Source         string // HubEEIdentityPartnerAttributes | HubEEIdentityAttachment
	AttachmentName string
	Format         string // json | xml
	Fields         HubEEIdentityFields
}

// HubEEIdentityFields name the attributes, JSON keys or XML elements (compared without
// regard to case; "a.b" reaches a nested JSON key or XML element). Empty: not read.
type HubEEIdentityFields struct {
	StudentCode string
	INE         string
	LastName    string
	FirstName   string
	BirthDate   string // 2001-04-12 or 12/04/2001
	Year        string // "2024" or "2024-2025"
	VDI         string // "LMATH/201"
}

// DefaultHubEEIdentityFields are the field names used when the configuration gives none.
var DefaultHubEEIdentityFields = HubEEIdentityFields{StudentCode: "codeEtudiant", INE: "ine", LastName: "nom",
	FirstName: "prenom", BirthDate: "dateNaissance", Year: "annee", VDI: "vdi"}

// HubEESettings are the sync's settings.
type HubEESettings struct {
	Processes []HubEEProcess
	// BatchSize of notifications read at once (default 25, the hub's default).
	BatchSize int
	// CaseAttempts is how many runs in a row a case may fail on a transient error
	// before it is handed to a person (default 5).
	CaseAttempts int
	// Attempts of a creation on the hub (a POST, never replayed by the client): the
	// engine asks the hub whether it took place before each new attempt (default 3).
	Attempts int
	// StatusByEventOnly: statuses travel only as an event's caseNewStatus
	// (status_update: event_only); a case's status is then not checked on the hub.
	StatusByEventOnly bool
}

// HubEEConfigured is implemented by a Hub that carries the sync's settings (see
// HubWithSettings). The engine finds them with a type assertion on Deps.Hub; a hub
// without settings treats every démarche as HubEEOther.
type HubEEConfigured interface {
	HubEESettings() HubEESettings
}

// HubWithSettings attaches the sync's settings to a hub.
func HubWithSettings(h Hub, s HubEESettings) Hub { return configuredHub{Hub: h, s: s} }

type configuredHub struct {
	Hub
	s HubEESettings
}

func (c configuredHub) HubEESettings() HubEESettings { return c.s }

// HubStore keeps the HubEE cases and the files received or answered. The engine finds
// it with a type assertion on Deps.Store (store.Store implements it, in a hubee_cases
// bucket). Every write is durable when the call returns.
type HubStore interface {
	// PurgeHubEECase replaces the case's record by c and removes its files, at once.
	PurgeHubEECase(c HubEECase) error
	HubEECase(caseID string) (HubEECase, error) // ErrNotFound if absent
	PutHubEECase(c HubEECase) error
	HubEECases() ([]HubEECase, error) // newest first
	PutHubEEFile(caseID, name string, data []byte) error
	HubEEFile(caseID, name string) ([]byte, error) // ErrNotFound if absent
	// CreateHubEEFile streams a file in (a download), never whole in memory.
	CreateHubEEFile(caseID, name string) (HubFileWriter, error)
	// OpenHubEEFile reads a file as a stream, with its size; ErrNotFound if absent.
	OpenHubEEFile(caseID, name string) (io.ReadCloser, int64, error)
}

// HubFileWriter receives a file of a case. Nothing is kept under its name until
// Commit; Reset empties it for a new attempt; Abort drops it.
type HubFileWriter interface {
	io.Writer
	Reset() error
	Commit() error
	Abort() error
}

// HubEEStep is how far the sync went with a case. Each step is written to the store
// before the outside action that follows it, so a restart knows what HubEE may already
// have.
type HubEEStep string

// Steps, in order.
const (
	HubStepFetched        HubEEStep = "fetched"         // case read, files being downloaded
	HubStepFilesStored    HubEEStep = "files_stored"    // every attachment verified and stored
	HubStepAcknowledging  HubEEStep = "acknowledging"   // SI_RECEIVED (or SI_INTG_ERROR) being set
	HubStepReceived       HubEEStep = "received"        // SI_RECEIVED set
	HubStepAnswerReady    HubEEStep = "answer_ready"    // decision taken, PDF stored
	HubStepDepositing     HubEEStep = "depositing"      // ATTACH_DEPOSIT being created
	HubStepDepositCreated HubEEStep = "deposit_created" // event and attachment ids known
	HubStepUploaded       HubEEStep = "uploaded"        // PDF uploaded, deposit being sent
	HubStepSent           HubEEStep = "sent"            // deposit SENT, DONE being set (updateCase)
	HubStepAnswering      HubEEStep = "answering"       // REFUSED being set
	HubStepFinished       HubEEStep = "finished"        // nothing more to do automatically
)

// HubEEOutcome is what became of a case.
type HubEEOutcome string

// Outcomes.
const (
	HubOutcomePending          HubEEOutcome = ""
	HubOutcomeDelivered        HubEEOutcome = "delivered"
	HubOutcomeRefused          HubEEOutcome = "refused"
	HubOutcomeIntegrationError HubEEOutcome = "integration_error"
	HubOutcomeToHandle         HubEEOutcome = "to_handle"
)

// HubEECase is a HubEE case as hypercerts recorded it.
type HubEECase struct {
	CaseID            string
	ExternalID        string
	Process           string
	Role              HubEERole
	Applicant         HubApplicant
	PartnerAttributes string
	Received          time.Time // first seen
	Updated           time.Time
	// Status is the last status hypercerts saw or set; Pending the one being set.
	Status         HubStatus
	Pending        HubStatus
	PendingMessage string
	Step           HubEEStep
	Outcome        HubEEOutcome
	// Reason is the outcome explained to managers; Answer the French message sent.
	Reason string
	Answer string
	// What the request was resolved to.
	StudentCode string
	StudentName string
	Year        string
	VDI         string
	// Files received (case and events), stored in the HubStore.
	Files []HubEEFile
	// Events received from the OSL.
	Events []HubEEEventRecord
	// Deposit answered.
	Deposit HubEEDeposit
	// LastError is the last failure that left the case for the next run; Attempts
	// counts the runs in a row that failed.
	LastError string
	Attempts  int
	// NeedsPerson: the sync gave up on the case (a permanent failure, or transient ones
	// beyond HubEESettings.CaseAttempts); LastError says why. A person retries it
	// (Engine.HubEERetry) once the cause is dealt with.
	NeedsPerson bool
	// PurgedAt is when the retention purge removed its personal data and files.
	PurgedAt time.Time
}

// HubEEFile is a file received with a case or an event.
type HubEEFile struct {
	AttachmentID string
	EventID      string // empty for a case attachment
	FileName     string
	Type         string
	MimeType     string
	Size         int64
	Key          string // name in the HubStore
}

// HubEEEventRecord is an event of the OSL received. An empty ActionType means it is
// known from its notification only and still to be read.
type HubEEEventRecord struct {
	ID         string
	ActionType string
	Message    string
	Received   time.Time
	Acked      bool
}

// HubEEDeposit is the ATTACH_DEPOSIT answered.
type HubEEDeposit struct {
	EventID      string
	AttachmentID string
	FileName     string
	Size         int64
	Key          string // PDF in the HubStore
}

// HubEEReport sums up a sync run.
type HubEEReport struct {
	Notifications     int // handled (deleted) this run
	NewCases          int
	NewEvents         int
	Delivered         int
	Refused           int
	ToHandle          int
	IntegrationErrors int
	// Deferred: cases left for the next run after a transient failure (Errors says why).
	Deferred int
	Errors   []string
	// Obsolete: notifications of a case or event the hub no longer has, acknowledged.
	Obsolete int
	// Resumed: cases left by an earlier run taken up again.
	Resumed int
	// NeedsPerson lists every case the sync gave up on, waiting for a person (this
	// run's and earlier ones not yet retried).
	NeedsPerson []HubEECase
}
