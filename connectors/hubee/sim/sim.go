// Package sim is a HubEE simulator: an HTTP server on loopback that follows the HubEE
// OpenAPI files (api_folder v1.2.7, api_subscription v1.2.3, api_organization v1.2.0,
// api_process v1.2.1) and the OAuth2 client-credentials token endpoint. It keeps its
// state in memory and is safe for concurrent use.
//
// It plays every side: the hub itself (folders, cases, events, attachments with their
// statuses and SHA-256 digests, notifications generated as the real hub does, the
// referential), and an OSL that files requests (FileRequest) so that a test or the demo
// runs the whole SI loop. Faults can be injected: the next N calls of an operation answer
// 500, the next N downloads are corrupted (digest mismatch), every token expires now.
//
// The contract tests of connectors/hubee validate every request and answer exchanged
// with the simulator against the OpenAPI files, so it cannot drift from the contract.
package sim

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"time"

	"hypercerts/connectors/hubee"
)

// TokenPath is where the simulator serves its OAuth2 token endpoint.
const TokenPath = "/oauth2/token"

// Client is a credential pair registered in the simulator.
type Client struct {
	ID, Secret string
	Org        hubee.OrganizationIdentifier
	// Scopes the client may ask for (SI, OSL, ADMIN, DATAPASS).
	Scopes []string
	// Processes its token gives access to (one pair per démarche on the real hub); empty
	// means all.
	Processes []string
}

type token struct {
	client *Client
	scope  string
	expiry time.Time
}

type folder struct {
	f       hubee.Folder // with its cases and attachments (metadata)
	osl     hubee.OrganizationIdentifier
	caseIDs []string
}

type kase struct {
	id, folderID string
	status       hubee.CaseStatus
	recipient    hubee.OrganizationIdentifier
	externalID   string
	partnerAttrs *string
	created      time.Time
	updated      *time.Time
	transmitted  *time.Time
	closed       *time.Time
	eventIDs     []string
	filesPurged  bool
}

type event struct {
	e      hubee.Event
	caseID string
}

type blob struct {
	data     []byte
	digest   string
	status   hubee.AttachmentStatus
	declared int64
}

// Sim is the simulator. Create it with New, start it with Start.
type Sim struct {
	mu            sync.Mutex
	srv           *httptest.Server
	now           func() time.Time
	tokenLifetime time.Duration
	purgeOnStatus bool
	eventLimit    int

	clients  map[string]*Client
	tokens   map[string]*token
	issued   int
	folders  map[string]*folder
	cases    map[string]*kase
	events   map[string]*event
	blobs    map[string]*blob
	notifs   map[string]*hubee.Notification
	notifSeq []string

	subs      map[string]*hubee.Subscription
	subOrder  []string
	orgs      map[string]*hubee.Organization
	orgOrder  []string
	procs     map[string]*hubee.Process
	procOrder []string

	failNext    map[string]int
	failWith    map[string]failure
	failAlways  map[string]failure
	corruptNext int
	calls       map[string]int
}

// New builds a simulator with a one-hour token lifetime.
func New() *Sim {
	return &Sim{
		now:           time.Now,
		tokenLifetime: time.Hour,
		clients:       map[string]*Client{},
		tokens:        map[string]*token{},
		folders:       map[string]*folder{},
		cases:         map[string]*kase{},
		events:        map[string]*event{},
		blobs:         map[string]*blob{},
		notifs:        map[string]*hubee.Notification{},
		subs:          map[string]*hubee.Subscription{},
		orgs:          map[string]*hubee.Organization{},
		procs:         map[string]*hubee.Process{},
		failNext:      map[string]int{},
		failWith:      map[string]failure{},
		failAlways:    map[string]failure{},
		calls:         map[string]int{},
	}
}

// Start serves the simulator on 127.0.0.1 (a free port) and returns its base URL.
func (s *Sim) Start() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	s.srv = httptest.NewUnstartedServer(s.Handler())
	_ = s.srv.Listener.Close()
	s.srv.Listener = l
	s.srv.Start()
	return s.srv.URL, nil
}

// Close stops the server.
func (s *Sim) Close() {
	if s.srv != nil {
		s.srv.Close()
	}
}

// URL is the API base URL (without /teledossiers/v1).
func (s *Sim) URL() string { return s.srv.URL }

// TokenURL is the OAuth2 token endpoint.
func (s *Sim) TokenURL() string { return s.srv.URL + TokenPath }

// ---- configuration and fault injection ----

// AddClient registers a credential pair.
func (s *Sim) AddClient(c Client) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cp := c
	s.clients[c.ID] = &cp
}

// SetTokenLifetime sets the expires_in of the next tokens (0: no expires_in sent).
func (s *Sim) SetTokenLifetime(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokenLifetime = d
}

// ExpireTokens makes every token issued so far expire now (the next call gets 401).
func (s *Sim) ExpireTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range s.tokens {
		t.expiry = s.now().Add(-time.Second)
	}
}

// FailNext makes the next n calls of an operation (its operationId, e.g. "getCaseById")
// answer 500.
func (s *Sim) FailNext(op string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failNext[op] += n
}

// failure is an injected error answer.
type failure struct {
	status     int
	retryAfter string
	msg        string
}

// FailNextWith makes the next n calls of an operation answer status (429, 503…) with a
// Retry-After header when retryAfter is not empty.
func (s *Sim) FailNextWith(op string, n, status int, retryAfter string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failNext[op] += n
	s.failWith[op] = failure{status: status, retryAfter: retryAfter}
}

// FailCase makes every call of an operation on one case (op "" for any operation)
// answer status with msg; a status below 400 sends msg as a broken JSON body (an
// unreadable answer). Status 0 stops it.
func (s *Sim) FailCase(caseID, op string, status int, msg string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := caseID + "|" + op
	if status == 0 {
		delete(s.failAlways, k)
		return
	}
	s.failAlways[k] = failure{status: status, msg: msg}
}

// Notify adds a notification for a case, as the hub would (the case may not exist:
// a stale notification).
func (s *Sim) Notify(to hubee.OrganizationIdentifier, process, caseID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var from hubee.OrganizationIdentifier
	if p, ok := s.procs[process]; ok {
		from = p.OSL
	}
	s.notify(to, from, process, caseID, "", "", "")
}

// CorruptNextDownloads flips a byte of the next n downloads (the digest header keeps the
// true value, so the client sees a mismatch).
func (s *Sim) CorruptNextDownloads(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.corruptNext += n
}

// SetPurgeOnStatus purges a case's files as soon as it reaches its process's
// statusBeforeFileDeletion (the real hub waits timeBeforeFileDeletion days).
func (s *Sim) SetPurgeOnStatus(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.purgeOnStatus = on
}

// SetEventLimit bounds the events of a case (0: no limit); beyond it createEvent answers
// 400 EventLimitReached.
func (s *Sim) SetEventLimit(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.eventLimit = n
}

// Calls is how many times an operation was called (token endpoint: "token").
func (s *Sim) Calls(op string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[op]
}

// TokensIssued is how many tokens the token endpoint delivered.
func (s *Sim) TokensIssued() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.issued
}

// ---- referential seeding ----

// AddProcess adds a démarche directly.
func (s *Sim) AddProcess(p hubee.Process) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.putProcess(p)
}

func (s *Sim) putProcess(p hubee.Process) hubee.Process {
	now := s.now().UTC()
	if _, ok := s.procs[p.Code]; !ok {
		p.CreationDateTime = &now
		s.procOrder = append(s.procOrder, p.Code)
	} else {
		p.CreationDateTime = s.procs[p.Code].CreationDateTime
		p.UpdateDateTime = &now
	}
	s.procs[p.Code] = &p
	return p
}

// AddOrganization adds an organisation directly.
func (s *Sim) AddOrganization(o hubee.Organization) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now().UTC()
	o.CreateDateTime = &now
	id := o.Identifier().ID()
	if _, ok := s.orgs[id]; !ok {
		s.orgOrder = append(s.orgOrder, id)
	}
	s.orgs[id] = &o
}

// Subscribe subscribes an organisation to a démarche (active, API access) and returns the
// subscription id.
func (s *Sim) Subscribe(process string, org hubee.OrganizationIdentifier, email string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now().UTC()
	sub := hubee.Subscription{DatapassID: int64(len(s.subs) + 1), ProcessCode: process, Subscriber: org,
		AccessMode: hubee.Ptr(hubee.AccessModeAPI), NotificationFrequency: "unitaire", ActivateDateTime: &now,
		ValidateDateTime: &now, Status: hubee.Ptr("Actif"), Email: hubee.Ptr(email),
		LocalAdministrator: hubee.Contact{Email: email}}
	return s.putSubscription(sub).ID
}

func (s *Sim) putSubscription(sub hubee.Subscription) hubee.Subscription {
	if sub.ID == "" {
		sub.ID = newID()
		s.subOrder = append(s.subOrder, sub.ID)
	}
	s.subs[sub.ID] = &sub
	return sub
}

func (s *Sim) subscribed(process string, org hubee.OrganizationIdentifier) bool {
	for _, sub := range s.subs {
		if sub.ProcessCode == process && sub.Subscriber == org && (sub.Status == nil || *sub.Status == "Actif") {
			return true
		}
	}
	return false
}

// ---- the OSL side ----

// File is a file an OSL attaches to a request.
type File struct {
	Name, Type, MimeType string
	Data                 []byte
}

// Request is an attestation request as an OSL files it: one folder, one case for the SI.
type Request struct {
	Process           string
	OSL               hubee.OrganizationIdentifier
	SI                hubee.OrganizationIdentifier
	ExternalID        string // folder number; the case gets "-01"
	Applicant         hubee.Applicant
	PartnerAttributes string
	Files             []File
}

// Filed gives the identifiers of a request filed.
type Filed struct {
	FolderID, CaseID string
	AttachmentIDs    []string
}

// FileRequest files a request as the OSL would through the API: create the folder with
// its case and attachments, upload every file, then mark the folder HUBEE_COMPLETED,
// which notifies the SI.
func (s *Sim) FileRequest(r Request) (Filed, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.ExternalID == "" {
		r.ExternalID = strings.ToUpper(newID()[:13])
	}
	f := hubee.Folder{ProcessCode: r.Process, Applicant: r.Applicant, ExternalID: r.ExternalID,
		Cases: []hubee.FolderCase{{Recipient: r.SI, ExternalID: r.ExternalID + "-01"}}}
	if r.PartnerAttributes != "" {
		f.Cases[0].PartnerAttributes = hubee.Ptr(r.PartnerAttributes)
	}
	for _, file := range r.Files {
		f.Attachments = append(f.Attachments, hubee.FolderAttachment{
			Attachment: hubee.Attachment{FileName: file.Name, Type: file.Type, MimeType: file.MimeType, Size: int64(len(file.Data))},
			Recipients: []string{r.ExternalID + "-01"}})
	}
	out, apiErr := s.createFolder(r.OSL, f)
	if apiErr != nil {
		return Filed{}, apiErr
	}
	filed := Filed{FolderID: out.ID, CaseID: out.Cases[0].ID}
	for i, file := range r.Files {
		id := out.Attachments[i].ID
		sum := sha256.Sum256(file.Data)
		s.blobs[id] = &blob{data: append([]byte(nil), file.Data...), digest: base64.StdEncoding.EncodeToString(sum[:]),
			status: hubee.AttachmentReceived, declared: int64(len(file.Data))}
		filed.AttachmentIDs = append(filed.AttachmentIDs, id)
	}
	if apiErr := s.completeFolder(out.ID, hubee.StatusHubeeCompleted, nil); apiErr != nil {
		return Filed{}, apiErr
	}
	return filed, nil
}

// ---- inspection ----

// CaseStatus is the current status of a case ("" if unknown).
func (s *Sim) CaseStatus(caseID string) hubee.CaseStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.cases[caseID]; ok {
		return c.status
	}
	return ""
}

// CaseEvents lists a case's events in creation order.
func (s *Sim) CaseEvents(caseID string) []hubee.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.cases[caseID]
	if !ok {
		return nil
	}
	var out []hubee.Event
	for _, id := range c.eventIDs {
		out = append(out, s.renderEvent(s.events[id]))
	}
	return out
}

// AttachmentData is the content of an uploaded file (nil if none).
func (s *Sim) AttachmentData(attachmentID string) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	if b, ok := s.blobs[attachmentID]; ok && b.data != nil {
		return append([]byte(nil), b.data...)
	}
	return nil
}

// PendingNotifications lists the notifications not yet deleted for an organisation.
func (s *Sim) PendingNotifications(org hubee.OrganizationIdentifier) []hubee.Notification {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []hubee.Notification
	for _, id := range s.notifSeq {
		if n, ok := s.notifs[id]; ok && n.Recipient == org {
			out = append(out, *n)
		}
	}
	return out
}

// ---- internals shared by the HTTP handlers and the OSL helpers ----

// apiErr is an error answer of the hub.
type apiErr struct {
	status int
	msg    string
	code   int
}

func (e *apiErr) Error() string { return fmt.Sprintf("HTTP %d : %s", e.status, e.msg) }

func errf(status int, format string, a ...any) *apiErr {
	return &apiErr{status: status, code: status, msg: fmt.Sprintf(format, a...)}
}

func (s *Sim) createFolder(osl hubee.OrganizationIdentifier, f hubee.Folder) (hubee.Folder, *apiErr) {
	if f.ProcessCode == "" || f.ExternalID == "" || f.Applicant.LastName == "" || len(f.Cases) == 0 {
		return hubee.Folder{}, errf(400, "Bad Request : Validation failed. Object has missing required properties")
	}
	for _, fo := range s.folders {
		if fo.f.ExternalID == f.ExternalID && fo.f.ProcessCode == f.ProcessCode {
			return hubee.Folder{}, errf(400, "Folder %s already exists", f.ExternalID)
		}
	}
	if len(s.procs) > 0 {
		if _, ok := s.procs[f.ProcessCode]; !ok {
			return hubee.Folder{}, errf(400, "Process %s is not found", f.ProcessCode)
		}
	}
	externals := map[string]bool{}
	for _, c := range f.Cases {
		if !s.subscribed(f.ProcessCode, c.Recipient) {
			return hubee.Folder{}, errf(400, "Case recipient %s does not suscribed to %s", c.Recipient.ID(), f.ProcessCode)
		}
		externals[c.ExternalID] = true
	}
	for _, a := range f.Attachments {
		for _, r := range a.Recipients {
			if !externals[r] {
				return hubee.Folder{}, errf(400, "Attachment %s recipient %s is not a case of the folder", a.FileName, r)
			}
		}
	}
	now := s.now().UTC()
	f.ID = newID()
	f.GlobalStatus = hubee.StatusHubeeReceived
	f.CreateDateTime = &now
	fo := &folder{osl: osl}
	for i := range f.Cases {
		c := &f.Cases[i]
		c.ID = newID()
		c.Status = hubee.StatusHubeeReceived
		s.cases[c.ID] = &kase{id: c.ID, folderID: f.ID, status: c.Status, recipient: c.Recipient,
			externalID: c.ExternalID, partnerAttrs: c.PartnerAttributes, created: now}
		fo.caseIDs = append(fo.caseIDs, c.ID)
	}
	for i := range f.Attachments {
		a := &f.Attachments[i]
		a.ID = newID()
		a.Status = hubee.AttachmentPending
		s.blobs[a.ID] = &blob{status: hubee.AttachmentPending, declared: a.Size}
	}
	fo.f = f
	s.folders[f.ID] = fo
	return s.renderFolder(fo), nil
}

// completeFolder applies a folder status; HUBEE_COMPLETED notifies every case's recipient.
func (s *Sim) completeFolder(id string, status hubee.CaseStatus, closeAt *time.Time) *apiErr {
	fo, ok := s.folders[id]
	if !ok {
		return errf(404, "Folder is not found")
	}
	now := s.now().UTC()
	fo.f.GlobalStatus = status
	fo.f.UpdateDateTime = &now
	if closeAt != nil {
		fo.f.CloseDateTime = closeAt
	}
	if status == hubee.StatusHubeeCompleted {
		for _, cid := range fo.caseIDs {
			c := s.cases[cid]
			if c.status != hubee.StatusHubeeReceived {
				continue
			}
			c.status = hubee.StatusHubeeNotified
			c.transmitted = &now
			c.updated = &now
			s.notify(c.recipient, fo.osl, fo.f.ProcessCode, c.id, "", "", "")
		}
		fo.f.GlobalStatus = hubee.StatusHubeeNotified
	}
	return nil
}

func (s *Sim) notify(to, from hubee.OrganizationIdentifier, process, caseID, eventID string, action hubee.ActionType, st hubee.EventStatus) {
	now := s.now().UTC()
	n := &hubee.Notification{ID: newID(), Recipient: to, Transmitter: from, ProcessCode: process, DateTime: &now,
		CaseID: hubee.Ptr(caseID), EventActionType: action, EventStatus: st}
	if eventID != "" {
		n.EventID = hubee.Ptr(eventID)
	}
	s.notifs[n.ID] = n
	s.notifSeq = append(s.notifSeq, n.ID)
}

func (s *Sim) renderFolder(fo *folder) hubee.Folder {
	f := fo.f
	f.Cases = append([]hubee.FolderCase{}, fo.f.Cases...)
	for i := range f.Cases {
		c := s.cases[f.Cases[i].ID]
		f.Cases[i].Status = c.status
		f.Cases[i].UpdateDateTime = c.updated
		f.Cases[i].TransmissionDateTime = c.transmitted
	}
	f.Attachments = append([]hubee.FolderAttachment{}, fo.f.Attachments...)
	for i := range f.Attachments {
		f.Attachments[i].Status = s.blobs[f.Attachments[i].ID].status
	}
	return f
}

func (s *Sim) renderCase(c *kase, lite bool) hubee.Case {
	fo := s.folders[c.folderID]
	ap := fo.f.Applicant
	out := hubee.Case{ID: c.id, Status: c.status, Recipient: c.recipient, ExternalID: c.externalID,
		UpdateDateTime: c.updated, TransmissionDateTime: c.transmitted, ProcessCode: fo.f.ProcessCode,
		CreateDateTime: c.created, CloseDateTime: c.closed, PartnerAttributes: c.partnerAttrs, Applicant: &ap}
	for _, a := range fo.f.Attachments {
		if slices.Contains(a.Recipients, c.externalID) {
			at := a.Attachment
			at.Status = s.blobs[a.ID].status
			out.Attachments = append(out.Attachments, at)
		}
	}
	if !lite {
		for _, id := range c.eventIDs {
			out.Events = append(out.Events, s.renderEvent(s.events[id]))
		}
	}
	return out
}

func (s *Sim) renderEvent(e *event) hubee.Event {
	out := e.e
	out.Attachments = slices.Clone(e.e.Attachments)
	for i := range out.Attachments {
		out.Attachments[i].Status = s.blobs[out.Attachments[i].ID].status
	}
	return out
}

// purge marks a case's files deleted when it reaches its process's
// statusBeforeFileDeletion (immediately, when purgeOnStatus is set).
func (s *Sim) purge(c *kase) {
	if !s.purgeOnStatus {
		return
	}
	fo := s.folders[c.folderID]
	p, ok := s.procs[fo.f.ProcessCode]
	if !ok || p.StatusBeforeFileDeletion != c.status {
		return
	}
	for _, a := range fo.f.Attachments {
		if slices.Contains(a.Recipients, c.externalID) {
			b := s.blobs[a.ID]
			b.data = nil
			b.status = hubee.AttachmentDeleted
		}
	}
	c.filesPurged = true
}

func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, r := range s {
		switch i {
		case 8, 13, 18, 23:
			if r != '-' {
				return false
			}
		default:
			if !strings.ContainsRune("0123456789abcdefABCDEF", r) {
				return false
			}
		}
	}
	return true
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeErr(w http.ResponseWriter, e *apiErr) {
	writeJSON(w, e.status, hubee.ErrorBody{Errors: []hubee.ErrorItem{{Code: hubee.ErrorCode(e.code), Message: e.msg}}})
}
