package hubee

import (
	"strconv"
	"strings"
	"time"
)

// The models follow the OpenAPI files of HubEE (api_folder v1.2.7, api_subscription
// v1.2.3, api_organization v1.2.0, api_process v1.2.1) field for field. Properties the
// contract marks readOnly carry `omitempty` so that a request never sends them (the hub
// rejects them); the hub always fills them in its answers.

// CaseStatus is the status of a case (and, with the HUBEE_* additions, of a folder).
type CaseStatus string

// Case and folder statuses.
const (
	StatusHubeeReceived  CaseStatus = "HUBEE_RECEIVED"  // folder only: created, files awaited
	StatusHubeeCompleted CaseStatus = "HUBEE_COMPLETED" // folder only: the OSL finished uploading
	StatusHubeeNotified  CaseStatus = "HUBEE_NOTIFIED"  // the SI has been notified
	StatusSent           CaseStatus = "SENT"
	StatusSIReceived     CaseStatus = "SI_RECEIVED"   // the SI acknowledged reception
	StatusSIIntgError    CaseStatus = "SI_INTG_ERROR" // the SI could not integrate the case
	StatusInProgress     CaseStatus = "IN_PROGRESS"
	StatusAddAwaiting    CaseStatus = "ADD_AWAITING"
	StatusRefused        CaseStatus = "REFUSED"
	StatusDone           CaseStatus = "DONE"
	StatusClosed         CaseStatus = "CLOSED"
	StatusArchived       CaseStatus = "ARCHIVED"
)

// ActionType is the nature of an event.
type ActionType string

// Event action types.
const (
	ActionStatusUpdate   ActionType = "STATUS_UPDATE"
	ActionAttachDeposit  ActionType = "ATTACH_DEPOSIT" // must declare ≥ 1 attachment
	ActionAttachDL       ActionType = "ATTACH_DL"
	ActionAttachDLAll    ActionType = "ATTACH_DL_ALL"
	ActionComAdd         ActionType = "COM_ADD"
	ActionSendingMessage ActionType = "SENDING_MESSAGE"
)

// EventStatus is how far the recipient took an event into account.
type EventStatus string

// Event statuses.
const (
	EventInProgress EventStatus = "IN_PROGRESS" // deposit awaiting its uploads
	EventSent       EventStatus = "SENT"
	EventReceived   EventStatus = "RECEIVED"
)

// AttachmentStatus is the state of a binary in the hub's storage.
type AttachmentStatus string

// Attachment statuses.
const (
	AttachmentPending   AttachmentStatus = "PENDING"
	AttachmentReceived  AttachmentStatus = "RECEIVED"
	AttachmentCorrupted AttachmentStatus = "CORRUPTED" // antivirus
	AttachmentRejected  AttachmentStatus = "REJECTED"  // size or type mismatch
	AttachmentDeleted   AttachmentStatus = "DELETED"   // purged
)

// Scopes of the OAuth2 client credentials.
const (
	ScopeSI       = "SI"
	ScopeOSL      = "OSL"
	ScopeAdmin    = "ADMIN"
	ScopeDatapass = "DATAPASS"
)

// OrganizationIdentifier names an organisation: type (OSL, SI, ADMIN), SIRET, branch code.
type OrganizationIdentifier struct {
	Type            string `json:"type"`
	CompanyRegister string `json:"companyRegister"`
	BranchCode      string `json:"branchCode"`
}

// ID is the referential identifier of the organisation: TYPE-SIRET-BRANCH.
func (o OrganizationIdentifier) ID() string {
	return o.Type + "-" + o.CompanyRegister + "-" + o.BranchCode
}

// PartnerInfo echoes the optional editorName/applicationName/softwareVersion headers.
type PartnerInfo struct {
	EditorName      *string `json:"editorName,omitempty"`
	ApplicationName *string `json:"applicationName,omitempty"`
	SoftwareVersion *string `json:"softwareVersion,omitempty"`
}

// Notification tells a partner that a case (EventID nil) or an event is waiting.
type Notification struct {
	ID          string                 `json:"id,omitempty"`
	Recipient   OrganizationIdentifier `json:"recipient"`
	Transmitter OrganizationIdentifier `json:"transmitter"`
	ProcessCode string                 `json:"processCode"`
	CaseID      *string                `json:"caseId"`
	EventID     *string                `json:"eventId"`
	DateTime    *time.Time             `json:"dateTime"`
	// Sent only with eventDetails=true (DINUM's own SI script; absent from the contract).
	EventActionType ActionType  `json:"eventActionType,omitempty"`
	EventStatus     EventStatus `json:"eventStatus,omitempty"`
}

// Applicant is the person who filed the télédossier.
type Applicant struct {
	FirstName string  `json:"firstName"`
	LastName  string  `json:"lastName"`
	Email     *string `json:"email,omitempty"`
}

// Attachment is the metadata of a file (PJ).
type Attachment struct {
	ID       string           `json:"id,omitempty"`     // readOnly
	Status   AttachmentStatus `json:"status,omitempty"` // readOnly
	FileName string           `json:"fileName"`
	Type     string           `json:"type"`
	Size     int64            `json:"size"`
	MimeType string           `json:"mimeType"`
}

// FolderAttachment is a folder's attachment with the external ids of the cases it goes to.
type FolderAttachment struct {
	Attachment
	Recipients []string `json:"recipients"`
}

// FolderCase is a case as declared inside a folder.
type FolderCase struct {
	ID                   string                 `json:"id,omitempty"`     // readOnly
	Status               CaseStatus             `json:"status,omitempty"` // readOnly
	Recipient            OrganizationIdentifier `json:"recipient"`
	ExternalID           string                 `json:"externalId"`
	UpdateDateTime       *time.Time             `json:"updateDateTime,omitempty"`       // readOnly
	TransmissionDateTime *time.Time             `json:"transmissionDateTime,omitempty"` // readOnly
	PartnerAttributes    *string                `json:"partnerAttributes,omitempty"`
}

// Folder is a télédossier: its common part, its cases and its attachments.
type Folder struct {
	ID             string             `json:"id,omitempty"`             // readOnly
	GlobalStatus   CaseStatus         `json:"globalStatus,omitempty"`   // readOnly
	ProcessCode    string             `json:"processCode"`              //
	CreateDateTime *time.Time         `json:"createDateTime,omitempty"` // readOnly
	CloseDateTime  *time.Time         `json:"closeDateTime,omitempty"`
	Applicant      Applicant          `json:"applicant"`
	ExternalID     string             `json:"externalId"`
	UpdateDateTime *time.Time         `json:"updateDateTime,omitempty"` // readOnly
	PartnerInfo    *PartnerInfo       `json:"partnerInfo,omitempty"`    // readOnly
	Cases          []FolderCase       `json:"cases"`
	Attachments    []FolderAttachment `json:"attachments"`
}

// Case is the part of a télédossier addressed to one recipient, with the folder's data.
type Case struct {
	ID                   string                 `json:"id"`
	Status               CaseStatus             `json:"status"`
	Recipient            OrganizationIdentifier `json:"recipient"`
	ExternalID           string                 `json:"externalId"`
	UpdateDateTime       *time.Time             `json:"updateDateTime,omitempty"`
	TransmissionDateTime *time.Time             `json:"transmissionDateTime,omitempty"`
	ProcessCode          string                 `json:"processCode"`
	CreateDateTime       time.Time              `json:"createDateTime"`
	CloseDateTime        *time.Time             `json:"closeDateTime,omitempty"`
	PartnerAttributes    *string                `json:"partnerAttributes,omitempty"`
	Applicant            *Applicant             `json:"applicant,omitempty"`
	Attachments          []Attachment           `json:"attachments,omitempty"`
	Events               []Event                `json:"events,omitempty"`
}

// Event is an update of a case by the SI or the OSL.
type Event struct {
	ID                string                  `json:"id,omitempty"`          // readOnly
	Transmitter       *OrganizationIdentifier `json:"transmitter,omitempty"` // readOnly
	Message           *string                 `json:"message,omitempty"`
	Comment           *string                 `json:"comment,omitempty"`
	ActionType        ActionType              `json:"actionType"`
	Author            *string                 `json:"author,omitempty"`
	Notification      bool                    `json:"notification"`
	CreateDateTime    *time.Time              `json:"createDateTime,omitempty"` // readOnly
	UpdateDateTime    *time.Time              `json:"updateDateTime,omitempty"` // readOnly
	Status            EventStatus             `json:"status,omitempty"`         // readOnly
	CaseCurrentStatus *CaseStatus             `json:"caseCurrentStatus,omitempty"`
	CaseNewStatus     *CaseStatus             `json:"caseNewStatus,omitempty"`
	PartnerAttributes *string                 `json:"partnerAttributes,omitempty"`
	Attachments       []Attachment            `json:"attachments,omitempty"`
	PartnerInfo       *PartnerInfo            `json:"partnerInfo,omitempty"` // readOnly
}

// FolderUpdate is the body of PATCH /folders/{id}.
type FolderUpdate struct {
	GlobalStatus  CaseStatus `json:"globalStatus"`
	CloseDateTime *time.Time `json:"closeDateTime,omitempty"`
}

type caseUpdate struct {
	Status CaseStatus `json:"status"`
}

type eventUpdate struct {
	Status EventStatus `json:"status"`
}

// Contact is a person of a subscription (local administrator, delegation actor).
type Contact struct {
	FirstName    string  `json:"firstName,omitempty"`
	LastName     string  `json:"lastName,omitempty"`
	Email        string  `json:"email"`
	Function     *string `json:"function,omitempty"`
	PhoneNumber  *string `json:"phoneNumber,omitempty"`
	MobileNumber *string `json:"mobileNumber,omitempty"`
}

// Subscription of an organisation (an SI) to a démarche.
type Subscription struct {
	ID                    string                 `json:"id,omitempty"` // readOnly
	DatapassID            int64                  `json:"datapassId"`
	ProcessCode           string                 `json:"processCode"`
	Subscriber            OrganizationIdentifier `json:"subscriber"`
	AccessMode            *string                `json:"accessMode,omitempty"` // PORTAIL | API
	NotificationFrequency string                 `json:"notificationFrequency"`
	ActivateDateTime      *time.Time             `json:"activateDateTime,omitempty"`
	ValidateDateTime      *time.Time             `json:"validateDateTime,omitempty"`
	RejectDateTime        *time.Time             `json:"rejectDateTime,omitempty"`
	EndDateTime           *time.Time             `json:"endDateTime,omitempty"`
	UpdateDateTime        *time.Time             `json:"updateDateTime,omitempty"`
	DelegationActor       *Contact               `json:"delegationActor,omitempty"`
	RejectionReason       *string                `json:"rejectionReason,omitempty"`
	Status                *string                `json:"status,omitempty"` // Actif, Inactif, Refusé, Suspendu
	Email                 *string                `json:"email,omitempty"`
	LocalAdministrator    Contact                `json:"localAdministrator"`
}

// Subscription access modes.
const (
	AccessModePortal = "PORTAIL"
	AccessModeAPI    = "API"
)

// Organization of the referential.
type Organization struct {
	Type            string     `json:"type"`
	CompanyRegister string     `json:"companyRegister"`
	BranchCode      string     `json:"branchCode"`
	Name            string     `json:"name"`
	Code            *string    `json:"code,omitempty"`
	Country         *string    `json:"country,omitempty"`
	PostalCode      string     `json:"postalCode"`
	Territory       string     `json:"territory"`
	Email           *string    `json:"email,omitempty"`
	PhoneNumber     *string    `json:"phoneNumber,omitempty"`
	Status          string     `json:"status"`
	CreateDateTime  *time.Time `json:"createDateTime,omitempty"` // readOnly
	UpdateDateTime  *time.Time `json:"updateDateTime,omitempty"` // readOnly
}

// Identifier returns the organisation's identifier.
func (o Organization) Identifier() OrganizationIdentifier {
	return OrganizationIdentifier{Type: o.Type, CompanyRegister: o.CompanyRegister, BranchCode: o.BranchCode}
}

// Process is a démarche.
type Process struct {
	Code                       string                 `json:"code"`
	Name                       string                 `json:"name"`
	Description                *string                `json:"description,omitempty"`
	IsActivated                bool                   `json:"isActivated"`
	OSL                        OrganizationIdentifier `json:"osl"`
	AttachmentFormatsEnabled   []string               `json:"attachmentFormatsEnabled"`
	SIAttachmentFormatsEnabled []string               `json:"siAttachmentFormatsEnabled,omitempty"`
	AttachmentTypesEnabled     []string               `json:"attachmentTypesEnabled"`
	AttachmentMaxSizeEnabled   int64                  `json:"attachmentMaxSizeEnabled"`
	StatusBeforeFileDeletion   CaseStatus             `json:"statusBeforeFileDeletion"`
	TimeBeforeFileDeletion     int32                  `json:"timeBeforeFileDeletion"`
	TimeBeforeArchiving        int32                  `json:"timeBeforeArchiving"`
	TimeBeforeFolderDeletion   int32                  `json:"timeBeforeFolderDeletion"`
	MessageToTransmitter       bool                   `json:"messageToTransmitter"`
	SubscriptionValidation     string                 `json:"subscriptionValidation"`     // Auto | Manual
	CreationDateTime           *time.Time             `json:"creationDateTime,omitempty"` // readOnly
	UpdateDateTime             *time.Time             `json:"updateDateTime,omitempty"`   // readOnly
	LegalJustification         *string                `json:"legalJustification,omitempty"`
}

// Subscription validation modes of a process.
const (
	SubscriptionValidationAuto   = "Auto"
	SubscriptionValidationManual = "Manual"
)

// ErrorBody is the hub's error document.
type ErrorBody struct {
	Errors []ErrorItem `json:"errors"`
}

// ErrorItem is one error of an ErrorBody.
type ErrorItem struct {
	Code    ErrorCode `json:"code"`
	Message string    `json:"message"`
}

// ErrorCode is the code of an ErrorItem: a number in the contract, sometimes a string
// in front-end (WSO2) answers; both are read.
type ErrorCode int64

// UnmarshalJSON accepts a JSON number or a string holding one.
func (c *ErrorCode) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	if s == "" || s == "null" {
		*c = 0
		return nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		*c = 0 // a non-numeric code is not worth failing the whole error body
		return nil
	}
	*c = ErrorCode(f)
	return nil
}

// Ptr returns a pointer to v (for the optional fields of the models).
func Ptr[T any](v T) *T { return &v }
