package domain

import "time"

// Student merges what Apogée says of one student (R08).
type Student struct {
	Code           string // cod_etu
	IndividualCode string // cod_ind
	INE            string
	Email          string
	LastName       string
	FirstName1     string
	FirstName2     string
	BirthDate      time.Time
	BirthPlace     string
	Sex            string // "M", "F" or "" (Apogée's sexe): « né le / née le »
}

// FirstNames joins the first names as printed ("Marie Hélène").
func (s Student) FirstNames() string {
	if s.FirstName2 == "" {
		return s.FirstName1
	}
	return s.FirstName1 + " " + s.FirstName2
}

// FullName is "Prénoms NOM".
func (s Student) FullName() string { return s.FirstNames() + " " + s.LastName }

// Row is one student of a preview: identity, verdict, blockings and where the
// attestation would go.
type Row struct {
	Student   Student
	VETs      []string // keys of the VETs the student is in (R06: one row per student)
	Verdict   Verdict
	Session   int // session of the deciding result, -1 when none
	Result    string
	Mention   Mention
	ECTS      string
	Delivery  bool // R13
	Blockings []Blocking
	// RuleEligible: eligible by the rules (R10–R15), whatever the delivery mode;
	// Eligible adds the mode's condition (ForMode).
	RuleEligible bool `json:",omitempty"`
	Eligible     bool
	Reasons      []string
	// Recipient is where the mail goes; RealRecipient the student's own address in
	// test mode (R18).
	Recipient     string
	RealRecipient string
	// Err is set when Apogée could not be read for this student (after retries).
	Err string
	// Reference of the attestation produced for the student (CampaignReference in a
	// campaign, set before it is rendered and stored with the state that follows).
	Reference string
}

// Mode is how attestations reach students: the name of a delivery channel
// (channel.go), e.g. ModeMail.
type Mode string

// CampaignState is where a campaign stands.
type CampaignState string

const (
	CampaignRunning  CampaignState = "running"  // being worked through (or interrupted: resumed at start-up)
	CampaignWaiting  CampaignState = "waiting"  // Digiposte: waiting for the next cycle
	CampaignFinished CampaignState = "finished" // every entry reached a final state for now
	CampaignFailed   CampaignState = "failed"   // stopped before sending (e.g. no signature)
)

// Campaign is one generation run (R03).
type Campaign struct {
	ID            string
	Year          string
	Component     Component
	VDI           VDI
	VETs          []VET
	DiplomaLabel  string // R09, read once at launch
	Mode          Mode
	TestMode      bool
	TestRecipient string
	CreatedBy     string
	// LaunchedBy and NotifyEmail: who last launched or relaunched the campaign, and the
	// address of their "campaign finished" mail (R17b), kept for a resume after a restart.
	LaunchedBy  string
	NotifyEmail string
	CreatedAt   time.Time
	UpdatedAt   time.Time
	FinishedAt  time.Time
	State       CampaignState
	Error       string // why it failed or was suspended (CampaignFailed, CampaignSuspended)
	Counts      map[EntryState]int
	// ManagerMails are the "campaign created" mails (R17a), a stored step.
	ManagerMails []ManagerMail `json:",omitempty"`
	// Served and ServedLast, on the campaign Launch returns only: how many eligible
	// students an earlier campaign already served (left out unless IncludeServed), and
	// the last such send. Not stored: the launch's audit line records them.
	Served     int       `json:"-"`
	ServedLast time.Time `json:"-"`
}

// EntryState is a student's state within a campaign (DESIGN.md, per-student state).
// Each channel declares its own states, their French labels and outcomes (channel.go).
type EntryState string

const (
	EntryDiscovered EntryState = "discovered"
	EntryExcluded   EntryState = "excluded" // not admitted, no verdict, blocked… (reason kept)
	EntryEligible   EntryState = "eligible"
)

// Entry is one student of a campaign, with the preview row and its delivery state.
type Entry struct {
	Row
	State     EntryState
	Attempts  int
	LastError string
	Retryable bool // for EntryMailFailed: a later relaunch may succeed
	// Batch is the Digiposte drop (adhesion "A…" or deposit "D…") the entry is in,
	// recorded before the drop so a failed one is retried under the same name.
	Batch     string
	UpdatedAt time.Time
}

// AuditRecord says who did what and when on a campaign.
type AuditRecord struct {
	At     time.Time
	User   string
	Action string
	Detail string
}
