package hubee

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"

	"hypercerts/domain"
)

// ---- Notifications (OSL, SI, ADMIN) ----

// NotificationQuery filters GET /notifications.
type NotificationQuery struct {
	MaxResult       int      // batch size; 0 = 25
	ProcessCodes    []string // processCode filter
	ProcessPriority []string // processPriority
	// EventDetails asks for eventActionType/eventStatus (used by DINUM's own SI
	// script, absent from the contract).
	EventDetails bool
}

func (q NotificationQuery) values() url.Values {
	v := url.Values{}
	n := q.MaxResult
	if n <= 0 {
		n = DefaultMaxResult
	}
	v.Set("maxResult", strconv.Itoa(n))
	for _, p := range q.ProcessCodes {
		v.Add("processCode", p)
	}
	for _, p := range q.ProcessPriority {
		v.Add("processPriority", p)
	}
	if q.EventDetails {
		v.Set("eventDetails", "true")
	}
	return v
}

// ListNotifications fetches one batch of notifications (listNotification, #12).
func (s *Session) ListNotifications(ctx context.Context, q NotificationQuery) ([]Notification, error) {
	var out []Notification
	_, err := s.doJSON(ctx, call{op: "listNotification", method: http.MethodGet, path: td("notifications"),
		query: q.values(), idempotent: true}, &out)
	return out, err
}

// DeleteNotification removes a handled notification (deleteNotification, #13).
func (s *Session) DeleteNotification(ctx context.Context, id string) error {
	_, err := s.doJSON(ctx, call{op: "deleteNotification", method: http.MethodDelete, path: td("notifications", id),
		idempotent: true}, nil)
	return err
}

// ErrNoProgress: a batch of notifications came back with nothing new, so the handler
// did not delete them; the loop stops rather than spin.
var ErrNoProgress = errors.New("HubEE : les notifications reviennent sans être supprimées")

// EachNotification fetches batches of MaxResult and calls fn for each notification, until
// a batch is shorter than MaxResult (the hub's end signal). fn is expected to delete the
// notifications it handled (DeleteNotification): the hub sends back every notification
// not deleted. An error from fn stops the loop. At most maxBatches batches are read
// (0 = 1000); a batch holding only notifications already seen ends with ErrNoProgress.
func (s *Session) EachNotification(ctx context.Context, q NotificationQuery, maxBatches int, fn func(Notification) error) error {
	if q.MaxResult <= 0 {
		q.MaxResult = DefaultMaxResult
	}
	if maxBatches <= 0 {
		maxBatches = 1000
	}
	seen := map[string]bool{}
	for range maxBatches {
		batch, err := s.ListNotifications(ctx, q)
		if err != nil {
			return err
		}
		fresh := 0
		for _, n := range batch {
			if seen[n.ID] {
				continue
			}
			seen[n.ID] = true
			fresh++
			if err := fn(n); err != nil {
				return err
			}
		}
		if len(batch) < q.MaxResult {
			return nil
		}
		if fresh == 0 {
			return ErrNoProgress
		}
	}
	return nil
}

// ---- Folders (OSL, ADMIN) ----

// CreateFolder declares a télédossier with its cases and attachments (createFolder, #1).
// The answer carries the ids of the cases and attachments to upload.
func (s *Session) CreateFolder(ctx context.Context, f Folder) (Folder, error) {
	f.ID, f.GlobalStatus, f.CreateDateTime, f.UpdateDateTime, f.PartnerInfo = "", "", nil, nil, nil
	f.Cases = append([]FolderCase{}, f.Cases...)
	for i := range f.Cases {
		f.Cases[i].ID, f.Cases[i].Status, f.Cases[i].UpdateDateTime, f.Cases[i].TransmissionDateTime = "", "", nil, nil
	}
	f.Attachments = append([]FolderAttachment{}, f.Attachments...)
	for i := range f.Attachments {
		f.Attachments[i].ID, f.Attachments[i].Status = "", ""
	}
	b, err := jsonBody(f)
	if err != nil {
		return Folder{}, err
	}
	var out Folder
	_, err = s.doJSON(ctx, call{op: "createFolder", method: http.MethodPost, path: td("folders"), body: b}, &out)
	return out, err
}

// GetFolder reads a folder (getFolderById, #8).
func (s *Session) GetFolder(ctx context.Context, id string) (Folder, error) {
	var out Folder
	_, err := s.doJSON(ctx, call{op: "getFolderById", method: http.MethodGet, path: td("folders", id), idempotent: true}, &out)
	return out, err
}

// UpdateFolder changes a folder's global status, e.g. HUBEE_COMPLETED once every file is
// uploaded (updateFolder, #4).
func (s *Session) UpdateFolder(ctx context.Context, id string, u FolderUpdate) error {
	b, err := jsonBody(u)
	if err != nil {
		return err
	}
	_, err = s.doJSON(ctx, call{op: "updateFolder", method: http.MethodPatch, path: td("folders", id), body: b, idempotent: true}, nil)
	return err
}

// DeleteFolder deletes a folder still HUBEE_RECEIVED, without event or notification
// (deleteFolder, #17).
func (s *Session) DeleteFolder(ctx context.Context, id string) error {
	_, err := s.doJSON(ctx, call{op: "deleteFolder", method: http.MethodDelete, path: td("folders", id), idempotent: true}, nil)
	return err
}

// UploadFolderAttachment sends a folder's file (uploadFolderAttachment, #2). See upload.
func (s *Session) UploadFolderAttachment(ctx context.Context, folderID, attachmentID string, r io.Reader, size int64) error {
	return s.upload(ctx, "uploadFolderAttachment", td("folders", folderID, "attachments", attachmentID), r, size)
}

// ---- Cases (OSL, SI, ADMIN) ----

// GetCase reads a case with the folder's data, its attachments and events (getCaseById, #14).
func (s *Session) GetCase(ctx context.Context, id string) (Case, error) {
	var out Case
	_, err := s.doJSON(ctx, call{op: "getCaseById", method: http.MethodGet, path: td("cases", id), idempotent: true}, &out)
	return out, err
}

// UpdateCase sets a case's status (updateCase, #5). The contract asks that it be
// followed by a STATUS_UPDATE event, which is what notifies the other side.
func (s *Session) UpdateCase(ctx context.Context, id string, status CaseStatus) error {
	b, err := jsonBody(caseUpdate{Status: status})
	if err != nil {
		return err
	}
	_, err = s.doJSON(ctx, call{op: "updateCase", method: http.MethodPatch, path: td("cases", id), body: b, idempotent: true}, nil)
	return err
}

// DownloadCaseAttachment streams a case's file into w (downloadCaseAttachmentById, #15).
// See download for the digest check.
func (s *Session) DownloadCaseAttachment(ctx context.Context, caseID, attachmentID string, w io.Writer) (Download, error) {
	return s.download(ctx, "downloadCaseAttachmentById", td("cases", caseID, "attachments", attachmentID), w)
}

// ---- Events ----

// CreateEvent adds an event to a case (createEvent, #3). An ATTACH_DEPOSIT event declares
// its attachments (fileName, type, size, mimeType): the answer gives their ids, the files
// are then uploaded and the event PATCHed SENT. Creations are never retried.
func (s *Session) CreateEvent(ctx context.Context, caseID string, e Event) (Event, error) {
	e.ID, e.Transmitter, e.CreateDateTime, e.UpdateDateTime, e.Status, e.PartnerInfo = "", nil, nil, nil, "", nil
	e.Attachments = append([]Attachment(nil), e.Attachments...)
	for i := range e.Attachments {
		e.Attachments[i].ID, e.Attachments[i].Status = "", ""
	}
	b, err := jsonBody(e)
	if err != nil {
		return Event{}, err
	}
	var out Event
	_, err = s.doJSON(ctx, call{op: "createEvent", method: http.MethodPost, path: td("cases", caseID, "events"), body: b}, &out)
	return out, err
}

// GetEvent reads an event of a case (getEventById, #16).
func (s *Session) GetEvent(ctx context.Context, caseID, eventID string) (Event, error) {
	var out Event
	_, err := s.doJSON(ctx, call{op: "getEventById", method: http.MethodGet, path: td("cases", caseID, "events", eventID), idempotent: true}, &out)
	return out, err
}

// UpdateEvent sets an event's status: SENT when a deposit is complete, RECEIVED when the
// recipient took it into account (updateEvent, #6).
func (s *Session) UpdateEvent(ctx context.Context, caseID, eventID string, status EventStatus) error {
	b, err := jsonBody(eventUpdate{Status: status})
	if err != nil {
		return err
	}
	_, err = s.doJSON(ctx, call{op: "updateEvent", method: http.MethodPatch, path: td("cases", caseID, "events", eventID), body: b, idempotent: true}, nil)
	return err
}

// DeleteEvent cancels an ATTACH_DEPOSIT event still IN_PROGRESS (deleteEvent, #28).
func (s *Session) DeleteEvent(ctx context.Context, caseID, eventID string) error {
	_, err := s.doJSON(ctx, call{op: "deleteEvent", method: http.MethodDelete, path: td("cases", caseID, "events", eventID), idempotent: true}, nil)
	return err
}

// UploadEventAttachment sends a file declared by an event (uploadEventAttachment, #7).
func (s *Session) UploadEventAttachment(ctx context.Context, caseID, eventID, attachmentID string, r io.Reader, size int64) error {
	return s.upload(ctx, "uploadEventAttachment", td("cases", caseID, "events", eventID, "attachments", attachmentID), r, size)
}

// DownloadEventAttachment streams an event's file into w (downloadEventAttachmentById, #9).
func (s *Session) DownloadEventAttachment(ctx context.Context, caseID, eventID, attachmentID string, w io.Writer) (Download, error) {
	return s.download(ctx, "downloadEventAttachmentById", td("cases", caseID, "events", eventID, "attachments", attachmentID), w)
}

// ---- Attachments: streaming both ways ----

// Download describes a file received.
type Download struct {
	Size   int64
	Digest string // base64 SHA-256 of the bytes received
	// Verified: the hub sent a digest and it matched. A mismatch is never returned as a
	// Download: it is a *DigestError.
	Verified bool
}

// download streams the body into w while hashing it. The hub's `digest` header (base64
// SHA-256) is compared at the end: on mismatch a *DigestError is returned and whatever
// was written to w must be discarded (write to a temporary file, keep it only on nil
// error). Failures before the first byte are retried; a failure mid-stream is returned
// (transient) since w cannot be rewound.
func (s *Session) download(ctx context.Context, op, path string, w io.Writer) (Download, error) {
	resp, err := s.do(ctx, call{op: op, method: http.MethodGet, path: path, idempotent: true})
	if err != nil {
		return Download{}, err
	}
	defer drain(resp)
	if gb, ok := resp.Body.(*guardedBody); ok {
		gb.stream(s.c.cfg.IdleTimeout) // a big file may take long; a stalled one may not
	}
	h := sha256.New()
	dst := &errWriter{w: w}
	n, err := io.Copy(io.MultiWriter(dst, h), resp.Body)
	if err != nil {
		if ctx.Err() != nil {
			return Download{}, ctx.Err()
		}
		if dst.err != nil { // the destination's failure (disk, size cap), not the network's
			return Download{}, dst.err
		}
		return Download{}, transportError(op, err)
	}
	got := base64.StdEncoding.EncodeToString(h.Sum(nil))
	d := Download{Size: n, Digest: got}
	if want := resp.Header.Get("digest"); want != "" {
		if want != got && !sameDigest(want, h.Sum(nil)) {
			return Download{}, &DigestError{Op: op, Path: path, Expected: want, Got: got}
		}
		d.Verified = true
	}
	return d, nil
}

// sameDigest also accepts the RFC 3230 form "SHA-256=<base64>".
func sameDigest(header string, sum []byte) bool {
	const p = "SHA-256="
	if len(header) > len(p) && (header[:len(p)] == p || header[:len(p)] == "sha-256=") {
		return header[len(p):] == base64.StdEncoding.EncodeToString(sum)
	}
	return false
}

// upload PUTs a binary (application/octet-stream) with its size and, when r can seek, its
// SHA-256 `digest` header, computed in a first pass without holding the file in memory.
// A seekable body (a file, a bytes.Reader) is replayed for a renewed token or a retry; a
// plain stream is sent once.
func (s *Session) upload(ctx context.Context, op, path string, r io.Reader, size int64) error {
	b := &body{contentType: "application/octet-stream", length: size}
	if rs, ok := r.(io.ReadSeeker); ok {
		start, err := rs.Seek(0, io.SeekCurrent)
		if err != nil {
			return err
		}
		dg, n, err := Digest(io.LimitReader(rs, size+1))
		if err != nil {
			return err
		}
		if n != size {
			return &domain.ExternalError{System: "HubEE", Op: op, Kind: domain.ErrPermanent,
				Msg: "taille du fichier différente de la taille déclarée (" + strconv.FormatInt(n, 10) + " ≠ " + strconv.FormatInt(size, 10) + ")"}
		}
		b.digest = dg
		b.replayable = true
		b.open = func() (io.Reader, error) {
			if _, err := rs.Seek(start, io.SeekStart); err != nil {
				return nil, err
			}
			return io.LimitReader(rs, size), nil
		}
	} else {
		used := false
		b.open = func() (io.Reader, error) {
			if used {
				return nil, errors.New("HubEE : flux déjà envoyé")
			}
			used = true
			return r, nil
		}
	}
	_, err := s.doJSON(ctx, call{op: op, method: http.MethodPut, path: path, body: b, idempotent: true}, nil)
	return err
}

// ---- Subscriptions (referential) ----

// SubscriptionQuery filters GET /subscriptions.
type SubscriptionQuery struct {
	ProcessCodes         []string
	Status               string
	CompanyRegister      string
	DelegationActorEmail string
	OrderBy              string
	OffSet               int
	MaxResult            int
}

func (q SubscriptionQuery) values() url.Values {
	v := url.Values{}
	for _, p := range q.ProcessCodes {
		v.Add("processCode", p)
	}
	setIf(v, "status", q.Status)
	setIf(v, "companyRegister", q.CompanyRegister)
	setIf(v, "delegationActorEmail", q.DelegationActorEmail)
	setIf(v, "orderBy", q.OrderBy)
	pageValues(v, q.OffSet, q.MaxResult)
	return v
}

func setIf(v url.Values, k, s string) {
	if s != "" {
		v.Set(k, s)
	}
}

func pageValues(v url.Values, offset, max int) {
	if max <= 0 {
		max = DefaultMaxResult
	}
	v.Set("offSet", strconv.Itoa(offset))
	v.Set("maxResult", strconv.Itoa(max))
}

// ListSubscriptions reads one page (listSubscription, #10), with its Content-Range.
func (s *Session) ListSubscriptions(ctx context.Context, q SubscriptionQuery) ([]Subscription, Range, error) {
	var out []Subscription
	h, err := s.doJSON(ctx, call{op: "listSubscription", method: http.MethodGet, path: ref("subscriptions"), query: q.values(), idempotent: true}, &out)
	if err != nil {
		return nil, Range{}, err
	}
	return out, ParseContentRange(h.Get("Content-Range")), nil
}

// AllSubscriptions reads every page from q.OffSet on.
func (s *Session) AllSubscriptions(ctx context.Context, q SubscriptionQuery) ([]Subscription, error) {
	start := q.OffSet
	if q.MaxResult <= 0 {
		q.MaxResult = DefaultMaxResult
	}
	return collect(ctx, q.MaxResult, func(off int) ([]Subscription, Range, error) {
		q.OffSet = start + off
		return s.ListSubscriptions(ctx, q)
	})
}

// GetSubscription reads a subscription (getSubscriptionById, #11).
func (s *Session) GetSubscription(ctx context.Context, id string) (Subscription, error) {
	var out Subscription
	_, err := s.doJSON(ctx, call{op: "getSubscriptionById", method: http.MethodGet, path: ref("subscriptions", id), idempotent: true}, &out)
	return out, err
}

// CreateSubscription subscribes an organisation to a démarche (createSubscription, #18).
func (s *Session) CreateSubscription(ctx context.Context, sub Subscription) (Subscription, error) {
	sub.ID = "" // readOnly
	b, err := jsonBody(sub)
	if err != nil {
		return Subscription{}, err
	}
	var out Subscription
	_, err = s.doJSON(ctx, call{op: "createSubscription", method: http.MethodPost, path: ref("subscriptions"), body: b}, &out)
	return out, err
}

// UpdateSubscription replaces a subscription (updateSubscription, #19).
func (s *Session) UpdateSubscription(ctx context.Context, id string, sub Subscription) (Subscription, error) {
	sub.ID = "" // readOnly
	b, err := jsonBody(sub)
	if err != nil {
		return Subscription{}, err
	}
	var out Subscription
	_, err = s.doJSON(ctx, call{op: "updateSubscription", method: http.MethodPut, path: ref("subscriptions", id), body: b, idempotent: true}, &out)
	return out, err
}

// ---- Organizations (referential, ADMIN) ----

// OrganizationQuery filters GET /organizations.
type OrganizationQuery struct {
	Type            string
	CompanyRegister string
	OrderBy         string
	OffSet          int
	MaxResult       int
}

// ListOrganizations reads one page (getOrganizations, #23).
func (s *Session) ListOrganizations(ctx context.Context, q OrganizationQuery) ([]Organization, Range, error) {
	v := url.Values{}
	setIf(v, "type", q.Type)
	setIf(v, "company_register", q.CompanyRegister)
	setIf(v, "orderBy", q.OrderBy)
	pageValues(v, q.OffSet, q.MaxResult)
	var out []Organization
	h, err := s.doJSON(ctx, call{op: "getOrganizations", method: http.MethodGet, path: ref("organizations"), query: v, idempotent: true}, &out)
	if err != nil {
		return nil, Range{}, err
	}
	return out, ParseContentRange(h.Get("Content-Range")), nil
}

// AllOrganizations reads every page.
func (s *Session) AllOrganizations(ctx context.Context, q OrganizationQuery) ([]Organization, error) {
	start := q.OffSet
	if q.MaxResult <= 0 {
		q.MaxResult = DefaultMaxResult
	}
	return collect(ctx, q.MaxResult, func(off int) ([]Organization, Range, error) {
		q.OffSet = start + off
		return s.ListOrganizations(ctx, q)
	})
}

// GetOrganization reads an organisation by its TYPE-SIRET-BRANCH id (#22; operationId
// "deleteOrganization" in the contract, though it is a GET).
func (s *Session) GetOrganization(ctx context.Context, id string) (Organization, error) {
	var out Organization
	_, err := s.doJSON(ctx, call{op: "deleteOrganization", method: http.MethodGet, path: ref("organizations", id), idempotent: true}, &out)
	return out, err
}

// CreateOrganization adds an organisation (createOrganization, #20).
func (s *Session) CreateOrganization(ctx context.Context, o Organization) (Organization, error) {
	o.CreateDateTime, o.UpdateDateTime = nil, nil
	b, err := jsonBody(o)
	if err != nil {
		return Organization{}, err
	}
	var out Organization
	_, err = s.doJSON(ctx, call{op: "createOrganization", method: http.MethodPost, path: ref("organizations"), body: b}, &out)
	return out, err
}

// UpdateOrganization replaces an organisation (updateOrganization, #21).
func (s *Session) UpdateOrganization(ctx context.Context, id string, o Organization) (Organization, error) {
	o.CreateDateTime, o.UpdateDateTime = nil, nil
	b, err := jsonBody(o)
	if err != nil {
		return Organization{}, err
	}
	var out Organization
	_, err = s.doJSON(ctx, call{op: "updateOrganization", method: http.MethodPut, path: ref("organizations", id), body: b, idempotent: true}, &out)
	return out, err
}

// ---- Processes (referential, ADMIN) ----

// ProcessQuery filters GET /processes.
type ProcessQuery struct {
	CompanyRegister string
	OrderBy         string
	OffSet          int
	MaxResult       int
}

// ListProcesses reads one page (listProcess, #27).
func (s *Session) ListProcesses(ctx context.Context, q ProcessQuery) ([]Process, Range, error) {
	v := url.Values{}
	setIf(v, "companyRegister", q.CompanyRegister)
	setIf(v, "orderBy", q.OrderBy)
	pageValues(v, q.OffSet, q.MaxResult)
	var out []Process
	h, err := s.doJSON(ctx, call{op: "listProcess", method: http.MethodGet, path: ref("processes"), query: v, idempotent: true}, &out)
	if err != nil {
		return nil, Range{}, err
	}
	return out, ParseContentRange(h.Get("Content-Range")), nil
}

// AllProcesses reads every page.
func (s *Session) AllProcesses(ctx context.Context, q ProcessQuery) ([]Process, error) {
	start := q.OffSet
	if q.MaxResult <= 0 {
		q.MaxResult = DefaultMaxResult
	}
	return collect(ctx, q.MaxResult, func(off int) ([]Process, Range, error) {
		q.OffSet = start + off
		return s.ListProcesses(ctx, q)
	})
}

// GetProcess reads a démarche by its code (getProcessById, #26).
func (s *Session) GetProcess(ctx context.Context, code string) (Process, error) {
	var out Process
	_, err := s.doJSON(ctx, call{op: "getProcessById", method: http.MethodGet, path: ref("processes", code), idempotent: true}, &out)
	return out, err
}

// CreateProcess adds a démarche (createProcess, #24).
func (s *Session) CreateProcess(ctx context.Context, p Process) (Process, error) {
	p.CreationDateTime, p.UpdateDateTime = nil, nil
	b, err := jsonBody(p)
	if err != nil {
		return Process{}, err
	}
	var out Process
	_, err = s.doJSON(ctx, call{op: "createProcess", method: http.MethodPost, path: ref("processes"), body: b}, &out)
	return out, err
}

// UpdateProcess replaces a démarche (updateProcess, #25).
func (s *Session) UpdateProcess(ctx context.Context, code string, p Process) (Process, error) {
	p.CreationDateTime, p.UpdateDateTime = nil, nil
	b, err := jsonBody(p)
	if err != nil {
		return Process{}, err
	}
	var out Process
	_, err = s.doJSON(ctx, call{op: "updateProcess", method: http.MethodPut, path: ref("processes", code), body: b, idempotent: true}, &out)
	return out, err
}

// errWriter remembers the error of its destination.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	n, err := e.w.Write(p)
	if err != nil {
		e.err = err
	}
	return n, err
}
