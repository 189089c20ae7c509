package sim

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"hypercerts/connectors/hubee"
)

const (
	td  = hubee.TeledossiersPrefix
	ref = hubee.ReferentialPrefix
)

var (
	scopesAll   = []string{hubee.ScopeOSL, hubee.ScopeSI, hubee.ScopeAdmin}
	scopesOSL   = []string{hubee.ScopeOSL, hubee.ScopeAdmin}
	scopesAdmin = []string{hubee.ScopeAdmin}
	orgIDRe     = regexp.MustCompile(`^\w{1,20}-[0-9]{14}-\w{1,10}$`)
)

type handler func(w http.ResponseWriter, r *http.Request, t *token) *apiErr

// Handler is the simulator's HTTP handler (token endpoint and both APIs).
func (s *Sim) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+TokenPath, s.handleToken)
	route := func(pattern, op string, scopes []string, h handler) {
		mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) { s.serve(w, r, op, scopes, h) })
	}
	route("GET "+td+"/notifications", "listNotification", scopesAll, s.listNotifications)
	route("DELETE "+td+"/notifications/{notificationId}", "deleteNotification", scopesAll, s.deleteNotification)
	route("POST "+td+"/folders", "createFolder", scopesOSL, s.postFolder)
	route("GET "+td+"/folders/{folderId}", "getFolderById", scopesOSL, s.getFolder)
	route("PATCH "+td+"/folders/{folderId}", "updateFolder", scopesOSL, s.patchFolder)
	route("POST "+td+"/folders/{folderId}", "updateFolderWithPost", scopesOSL, overridden(s.patchFolder))
	route("DELETE "+td+"/folders/{folderId}", "deleteFolder", scopesOSL, s.deleteFolder)
	route("PUT "+td+"/folders/{folderId}/attachments/{attachmentId}", "uploadFolderAttachment", scopesOSL, s.putFolderAttachment)
	route("GET "+td+"/cases/{caseId}", "getCaseById", scopesAll, s.getCase)
	route("PATCH "+td+"/cases/{caseId}", "updateCase", scopesAll, s.patchCase)
	route("POST "+td+"/cases/{caseId}", "updateCaseWithPost", scopesAll, overridden(s.patchCase))
	route("GET "+td+"/cases/{caseId}/attachments/{attachmentId}", "downloadCaseAttachmentById", scopesAll, s.downloadCaseAttachment)
	route("POST "+td+"/cases/{caseId}/events", "createEvent", scopesAll, s.postEvent)
	route("GET "+td+"/cases/{caseId}/events/{eventId}", "getEventById", scopesAll, s.getEvent)
	route("PATCH "+td+"/cases/{caseId}/events/{eventId}", "updateEvent", scopesAll, s.patchEvent)
	route("POST "+td+"/cases/{caseId}/events/{eventId}", "updateEventWithPost", scopesAll, overridden(s.patchEvent))
	route("DELETE "+td+"/cases/{caseId}/events/{eventId}", "deleteEvent", scopesAll, s.deleteEvent)
	route("PUT "+td+"/cases/{caseId}/events/{eventId}/attachments/{attachmentId}", "uploadEventAttachment", scopesAll, s.putEventAttachment)
	route("GET "+td+"/cases/{caseId}/events/{eventId}/attachments/{attachmentId}", "downloadEventAttachmentById", scopesAll, s.downloadEventAttachment)

	route("GET "+ref+"/subscriptions", "listSubscription", scopesOSL, s.listSubscriptions)
	route("POST "+ref+"/subscriptions", "createSubscription", []string{hubee.ScopeDatapass, hubee.ScopeAdmin}, s.postSubscription)
	route("GET "+ref+"/subscriptions/{subscriptionId}", "getSubscriptionById", scopesOSL, s.getSubscription)
	route("PUT "+ref+"/subscriptions/{subscriptionId}", "updateSubscription", scopesAdmin, s.putSubscriptionH)
	route("GET "+ref+"/organizations", "getOrganizations", scopesAdmin, s.listOrganizations)
	route("POST "+ref+"/organizations", "createOrganization", scopesAdmin, s.postOrganization)
	route("GET "+ref+"/organizations/{id}", "deleteOrganization", scopesAdmin, s.getOrganization)
	route("PUT "+ref+"/organizations/{id}", "updateOrganization", scopesAdmin, s.putOrganization)
	route("GET "+ref+"/processes", "listProcess", scopesAdmin, s.listProcesses)
	route("POST "+ref+"/processes", "createProcess", scopesAdmin, s.postProcess)
	// OSL and ADMIN (OpenAPI description); a SI token gets 403 (SFD access table, #26).
	route("GET "+ref+"/processes/{code}", "getProcessById", scopesOSL, s.getProcess)
	route("PUT "+ref+"/processes/{code}", "updateProcess", scopesAdmin, s.putProcessH)
	return mux
}

func overridden(h handler) handler {
	return func(w http.ResponseWriter, r *http.Request, t *token) *apiErr {
		if r.Header.Get("X-HTTP-Method-Override") != http.MethodPatch {
			return errf(405, "Method not allowed")
		}
		return h(w, r, t)
	}
}

// serve authenticates, applies injected faults and runs a handler under the lock.
func (s *Sim) serve(w http.ResponseWriter, r *http.Request, op string, scopes []string, h handler) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls[op]++
	if s.failNext[op] > 0 {
		s.failNext[op]--
		f := s.failWith[op]
		if f.status == 0 {
			f.status = 500
		}
		if f.retryAfter != "" {
			w.Header().Set("Retry-After", f.retryAfter)
		}
		writeErr(w, errf(f.status, "%s", http.StatusText(f.status)))
		return
	}
	if id := r.PathValue("caseId"); id != "" {
		for _, k := range []string{id + "|" + op, id + "|"} {
			if f, ok := s.failAlways[k]; ok {
				if f.status < 400 {
					w.Header().Set("Content-Type", "application/json")
					w.WriteHeader(f.status)
					_, _ = io.WriteString(w, f.msg)
				} else {
					writeErr(w, &apiErr{status: f.status, code: f.status, msg: f.msg})
				}
				return
			}
		}
	}
	raw, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	t := s.tokens[raw]
	if !ok || t == nil || !s.now().Before(t.expiry) {
		writeJSON(w, 401, hubee.ErrorBody{Errors: []hubee.ErrorItem{{Code: 900901,
			Message: "Invalid Credentials. Make sure you have provided the correct security credentials"}}})
		return
	}
	if !slices.Contains(scopes, t.scope) {
		writeErr(w, errf(403, "Unauthorized user"))
		return
	}
	for _, id := range []string{"notificationId", "folderId", "caseId", "eventId", "attachmentId", "subscriptionId"} {
		if v := r.PathValue(id); v != "" && !isUUID(v) {
			writeErr(w, errf(400, "Bad Request : Validation failed.\n[ERROR][REQUEST][%s %s @path.%s] Input string %q is not a valid UUID", r.Method, r.URL.Path, id, v))
			return
		}
	}
	for _, hd := range []string{"editorName", "applicationName", "softwareVersion"} {
		if len(r.Header.Get(hd)) > 50 {
			writeErr(w, errf(400, "Bad Request : Validation failed. header %s longer than 50", hd))
			return
		}
	}
	if e := h(w, r, t); e != nil {
		writeErr(w, e)
	}
}

// handleToken is the OAuth2 client-credentials endpoint (HTTP Basic).
func (s *Sim) handleToken(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls["token"]++
	if s.failNext["token"] > 0 {
		s.failNext["token"]--
		writeJSON(w, 500, map[string]string{"error": "server_error"})
		return
	}
	id, secret, ok := r.BasicAuth()
	c := s.clients[id]
	if !ok || c == nil || c.Secret != secret {
		w.Header().Set("WWW-Authenticate", `Basic realm="hubee"`)
		writeJSON(w, 401, map[string]string{"error": "invalid_client", "error_description": "Client authentication failed"})
		return
	}
	if err := r.ParseForm(); err != nil || r.PostForm.Get("grant_type") != "client_credentials" {
		writeJSON(w, 400, map[string]string{"error": "unsupported_grant_type"})
		return
	}
	scope := r.PostForm.Get("scope")
	if !slices.Contains(c.Scopes, scope) {
		writeJSON(w, 400, map[string]string{"error": "invalid_scope", "error_description": "scope " + scope + " not allowed"})
		return
	}
	raw := newID()
	life := s.tokenLifetime
	t := &token{client: c, scope: scope, expiry: s.now().Add(24 * time.Hour)}
	resp := map[string]any{"access_token": raw, "token_type": "Bearer", "scope": scope}
	if life > 0 {
		t.expiry = s.now().Add(life)
		resp["expires_in"] = int(life / time.Second)
	}
	s.tokens[raw] = t
	s.issued++
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, 200, resp)
}

func decode(r *http.Request, v any) *apiErr {
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(v); err != nil {
		return errf(400, "Bad Request : Validation failed. %v", err)
	}
	return nil
}

func processAllowed(t *token, process string) bool {
	return len(t.client.Processes) == 0 || slices.Contains(t.client.Processes, process)
}

// ---- notifications ----

func (s *Sim) listNotifications(w http.ResponseWriter, r *http.Request, t *token) *apiErr {
	q := r.URL.Query()
	max := hubee.DefaultMaxResult
	if v := q.Get("maxResult"); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f < 1 {
			return errf(400, "Bad Request : Validation failed.\n[ERROR][REQUEST][GET %s @query.maxResult] Instance type (string) does not match any allowed primitive type (allowed: [\"integer\",\"number\"]", r.URL.Path)
		}
		max = int(f)
	}
	filter := q["processCode"]
	details := q.Get("eventDetails") == "true"
	out := []hubee.Notification{}
	for _, id := range s.notifSeq {
		n, ok := s.notifs[id]
		if !ok || n.Recipient != t.client.Org || !processAllowed(t, n.ProcessCode) {
			continue
		}
		if len(filter) > 0 && !slices.Contains(filter, n.ProcessCode) {
			continue
		}
		c := *n
		if !details {
			c.EventActionType, c.EventStatus = "", ""
		}
		out = append(out, c)
		if len(out) == max {
			break
		}
	}
	writeJSON(w, 200, out)
	return nil
}

func (s *Sim) deleteNotification(w http.ResponseWriter, r *http.Request, t *token) *apiErr {
	id := r.PathValue("notificationId")
	n, ok := s.notifs[id]
	if !ok {
		return errf(404, "Notification is not found")
	}
	if n.Recipient != t.client.Org {
		return errf(403, "Unauthorized user")
	}
	delete(s.notifs, id)
	s.notifSeq = slices.DeleteFunc(s.notifSeq, func(x string) bool { return x == id })
	w.WriteHeader(204)
	return nil
}

// ---- folders ----

func (s *Sim) ownFolder(r *http.Request, t *token) (*folder, *apiErr) {
	fo, ok := s.folders[r.PathValue("folderId")]
	if !ok {
		return nil, errf(404, "Folder is not found")
	}
	if t.scope != hubee.ScopeAdmin && (fo.osl != t.client.Org || !processAllowed(t, fo.f.ProcessCode)) {
		return nil, errf(403, "Unauthorized user")
	}
	return fo, nil
}

func (s *Sim) postFolder(w http.ResponseWriter, r *http.Request, t *token) *apiErr {
	var f hubee.Folder
	if e := decode(r, &f); e != nil {
		return e
	}
	if !processAllowed(t, f.ProcessCode) {
		return errf(403, "Unauthorized user")
	}
	out, e := s.createFolder(t.client.Org, f)
	if e != nil {
		return e
	}
	writeJSON(w, 201, out)
	return nil
}

func (s *Sim) getFolder(w http.ResponseWriter, r *http.Request, t *token) *apiErr {
	fo, e := s.ownFolder(r, t)
	if e != nil {
		return e
	}
	writeJSON(w, 200, s.renderFolder(fo))
	return nil
}

func (s *Sim) patchFolder(w http.ResponseWriter, r *http.Request, t *token) *apiErr {
	fo, e := s.ownFolder(r, t)
	if e != nil {
		return e
	}
	var u hubee.FolderUpdate
	if e := decode(r, &u); e != nil {
		return e
	}
	switch u.GlobalStatus {
	case hubee.StatusHubeeCompleted, hubee.StatusClosed, hubee.StatusDone, hubee.StatusRefused, hubee.StatusInProgress:
	default:
		return errf(400, "Bad Request : globalStatus %q not allowed", u.GlobalStatus)
	}
	if e := s.completeFolder(fo.f.ID, u.GlobalStatus, u.CloseDateTime); e != nil {
		return e
	}
	w.WriteHeader(204)
	return nil
}

func (s *Sim) deleteFolder(w http.ResponseWriter, r *http.Request, t *token) *apiErr {
	fo, e := s.ownFolder(r, t)
	if e != nil {
		return e
	}
	if fo.f.GlobalStatus != hubee.StatusHubeeReceived {
		return errf(400, "Bad Request : folder status is %s, only HUBEE_RECEIVED folders can be deleted", fo.f.GlobalStatus)
	}
	for _, cid := range fo.caseIDs {
		if len(s.cases[cid].eventIDs) > 0 {
			return errf(400, "Bad Request : folder has events")
		}
		for _, n := range s.notifs {
			if n.CaseID != nil && *n.CaseID == cid {
				return errf(400, "Bad Request : folder has notifications")
			}
		}
	}
	for _, cid := range fo.caseIDs {
		delete(s.cases, cid)
	}
	for _, a := range fo.f.Attachments {
		delete(s.blobs, a.ID)
	}
	delete(s.folders, fo.f.ID)
	w.WriteHeader(204)
	return nil
}

func (s *Sim) putFolderAttachment(w http.ResponseWriter, r *http.Request, t *token) *apiErr {
	fo, e := s.ownFolder(r, t)
	if e != nil {
		return e
	}
	id := r.PathValue("attachmentId")
	found := slices.ContainsFunc(fo.f.Attachments, func(a hubee.FolderAttachment) bool { return a.ID == id })
	if !found {
		return errf(404, "Binary meta-data is not found")
	}
	if e := s.receive(r, s.blobs[id]); e != nil {
		return e
	}
	w.WriteHeader(204)
	return nil
}

// receive stores an upload: the size must be the declared one and the digest, when sent,
// must match.
func (s *Sim) receive(r *http.Request, b *blob) *apiErr {
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/octet-stream") {
		return errf(400, "Bad Request : Content-Type %q, application/octet-stream expected", ct)
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, b.declared+1))
	if err != nil {
		return errf(400, "Bad Request : %v", err)
	}
	if int64(len(data)) != b.declared {
		b.status = hubee.AttachmentRejected
		return errf(400, "Bad Request : file size %d differs from the declared size %d", len(data), b.declared)
	}
	sum := sha256.Sum256(data)
	dg := base64.StdEncoding.EncodeToString(sum[:])
	if want := r.Header.Get("digest"); want != "" && want != dg {
		b.status = hubee.AttachmentCorrupted
		return errf(400, "Bad Request : digest mismatch")
	}
	b.data, b.digest, b.status = data, dg, hubee.AttachmentReceived
	return nil
}

// checkEventRules applies the démarche's settings to an event (SFD 2.5 « Modification
// d'un Case par un SI ou OSL »): RC006, a message only if the démarche allows messages
// to the transmitter (messageToTransmitter); RC003/RC005, attachments only in the
// formats of the sender's list (siAttachmentFormatsEnabled for a SI: empty, no file at
// all; attachmentFormatsEnabled for an OSL) and within attachmentMaxSizeEnabled.
func (s *Sim) checkEventRules(process string, fromSI bool, ev hubee.Event) *apiErr {
	p, ok := s.procs[process]
	if !ok {
		return errf(400, "Process %s is not found", process)
	}
	if fromSI && ev.Message != nil && *ev.Message != "" && !p.MessageToTransmitter {
		return errf(400, "Bad Request : messages are not allowed for process %s (messageToTransmitter)", process)
	}
	formats := p.AttachmentFormatsEnabled
	if fromSI {
		formats = p.SIAttachmentFormatsEnabled
	}
	for _, a := range ev.Attachments {
		if !slices.Contains(formats, a.MimeType) {
			return errf(400, "Bad Request : mimeType %q of %s is not allowed for process %s", a.MimeType, a.FileName, process)
		}
		if p.AttachmentMaxSizeEnabled > 0 && a.Size > p.AttachmentMaxSizeEnabled {
			return errf(400, "Bad Request : %s is larger (%d) than the process allows (%d)", a.FileName, a.Size, p.AttachmentMaxSizeEnabled)
		}
	}
	return nil
}

// ---- cases ----

// visibleCase: the SI recipient (for a process its token covers), the folder's OSL, an admin.
func (s *Sim) visibleCase(r *http.Request, t *token) (*kase, *apiErr) {
	c, ok := s.cases[r.PathValue("caseId")]
	if !ok {
		return nil, errf(404, "Case is not found")
	}
	fo := s.folders[c.folderID]
	if t.scope == hubee.ScopeAdmin {
		return c, nil
	}
	if !processAllowed(t, fo.f.ProcessCode) || (c.recipient != t.client.Org && fo.osl != t.client.Org) {
		return nil, errf(403, "Unauthorized user")
	}
	if c.recipient == t.client.Org && c.status == hubee.StatusHubeeReceived {
		return nil, errf(404, "Case is not found") // not yet transmitted to the SI
	}
	return c, nil
}

func (s *Sim) getCase(w http.ResponseWriter, r *http.Request, t *token) *apiErr {
	c, e := s.visibleCase(r, t)
	if e != nil {
		return e
	}
	writeJSON(w, 200, s.renderCase(c, r.URL.Query().Get("lite") == "true"))
	return nil
}

var siStatuses = []hubee.CaseStatus{hubee.StatusSent, hubee.StatusSIReceived, hubee.StatusSIIntgError, hubee.StatusInProgress,
	hubee.StatusAddAwaiting, hubee.StatusRefused, hubee.StatusDone, hubee.StatusClosed}

func (s *Sim) setCaseStatus(c *kase, st hubee.CaseStatus) *apiErr {
	if !slices.Contains(siStatuses, st) && st != hubee.StatusHubeeNotified && st != hubee.StatusArchived {
		return errf(400, "Bad Request : status %q not allowed", st)
	}
	now := s.now().UTC()
	c.status, c.updated = st, &now
	if st == hubee.StatusClosed {
		c.closed = &now
	}
	s.purge(c)
	return nil
}

func (s *Sim) patchCase(w http.ResponseWriter, r *http.Request, t *token) *apiErr {
	c, e := s.visibleCase(r, t)
	if e != nil {
		return e
	}
	var u struct {
		Status hubee.CaseStatus `json:"status"`
	}
	if e := decode(r, &u); e != nil {
		return e
	}
	if e := s.setCaseStatus(c, u.Status); e != nil {
		return e
	}
	w.WriteHeader(204)
	return nil
}

func (s *Sim) serveBlob(w http.ResponseWriter, b *blob) *apiErr {
	if b == nil || b.status != hubee.AttachmentReceived || b.data == nil {
		return errf(404, "File is not found")
	}
	data := b.data
	if s.corruptNext > 0 {
		s.corruptNext--
		data = append([]byte(nil), data...)
		if len(data) == 0 {
			data = []byte{0}
		} else {
			data[len(data)/2] ^= 0xff
		}
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("digest", b.digest)
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	w.WriteHeader(200)
	_, _ = w.Write(data)
	return nil
}

func (s *Sim) downloadCaseAttachment(w http.ResponseWriter, r *http.Request, t *token) *apiErr {
	c, e := s.visibleCase(r, t)
	if e != nil {
		return e
	}
	id := r.PathValue("attachmentId")
	for _, a := range s.folders[c.folderID].f.Attachments {
		if a.ID == id && slices.Contains(a.Recipients, c.externalID) {
			return s.serveBlob(w, s.blobs[id])
		}
	}
	return errf(404, "File is not found")
}

// ---- events ----

func (s *Sim) postEvent(w http.ResponseWriter, r *http.Request, t *token) *apiErr {
	c, e := s.visibleCase(r, t)
	if e != nil {
		return e
	}
	var ev hubee.Event
	if e := decode(r, &ev); e != nil {
		return e
	}
	switch ev.ActionType {
	case hubee.ActionAttachDeposit:
		if len(ev.Attachments) == 0 {
			return errf(400, "Bad Request : an ATTACH_DEPOSIT event must declare at least one attachment")
		}
	case hubee.ActionStatusUpdate, hubee.ActionAttachDL, hubee.ActionAttachDLAll, hubee.ActionComAdd, hubee.ActionSendingMessage:
		if len(ev.Attachments) > 0 {
			return errf(400, "Bad Request : only ATTACH_DEPOSIT events carry attachments")
		}
	default:
		return errf(400, "Bad Request : actionType %q unknown", ev.ActionType)
	}
	if s.eventLimit > 0 && len(c.eventIDs) >= s.eventLimit {
		return &apiErr{status: 400, code: 400, msg: "EventLimitReached"}
	}
	// SFD 2.5 « Modification d'un Case » RC001: a status named by an event must be a
	// known one; the event only records it (the case changes through updateCase).
	for _, st := range []*hubee.CaseStatus{ev.CaseCurrentStatus, ev.CaseNewStatus} {
		if st != nil && !slices.Contains(siStatuses, *st) && *st != hubee.StatusHubeeNotified && *st != hubee.StatusArchived {
			return errf(400, "Bad Request : status %q not allowed", *st)
		}
	}
	fo := s.folders[c.folderID]
	fromSI := t.client.Org == c.recipient
	if e := s.checkEventRules(fo.f.ProcessCode, fromSI, ev); e != nil {
		return e
	}
	now := s.now().UTC()
	org := t.client.Org
	ev.ID, ev.Transmitter, ev.CreateDateTime, ev.UpdateDateTime = newID(), &org, &now, &now
	pi := hubee.PartnerInfo{}
	if v := r.Header.Get("editorName"); v != "" {
		pi.EditorName = &v
	}
	if v := r.Header.Get("applicationName"); v != "" {
		pi.ApplicationName = &v
	}
	if v := r.Header.Get("softwareVersion"); v != "" {
		pi.SoftwareVersion = &v
	}
	ev.PartnerInfo = &pi
	for i := range ev.Attachments {
		a := &ev.Attachments[i]
		a.ID, a.Status = newID(), hubee.AttachmentPending
		s.blobs[a.ID] = &blob{status: hubee.AttachmentPending, declared: a.Size}
	}
	if ev.ActionType == hubee.ActionAttachDeposit {
		ev.Status = hubee.EventInProgress
	} else {
		ev.Status = hubee.EventSent
	}
	s.events[ev.ID] = &event{e: ev, caseID: c.id}
	c.eventIDs = append(c.eventIDs, ev.ID)
	if ev.Status == hubee.EventSent {
		s.notifyEvent(c, s.events[ev.ID])
	}
	writeJSON(w, 201, s.renderEvent(s.events[ev.ID]))
	return nil
}

// notifyEvent notifies the other side of a case of a SENT event that asks for it.
func (s *Sim) notifyEvent(c *kase, e *event) {
	if !e.e.Notification {
		return
	}
	fo := s.folders[c.folderID]
	to := fo.osl
	if *e.e.Transmitter == fo.osl {
		to = c.recipient
	}
	s.notify(to, *e.e.Transmitter, fo.f.ProcessCode, c.id, e.e.ID, e.e.ActionType, e.e.Status)
}

func (s *Sim) caseEvent(r *http.Request, t *token) (*kase, *event, *apiErr) {
	c, e := s.visibleCase(r, t)
	if e != nil {
		return nil, nil, e
	}
	ev, ok := s.events[r.PathValue("eventId")]
	if !ok || ev.caseID != c.id {
		return nil, nil, errf(404, "event is not found")
	}
	return c, ev, nil
}

func (s *Sim) getEvent(w http.ResponseWriter, r *http.Request, t *token) *apiErr {
	_, ev, e := s.caseEvent(r, t)
	if e != nil {
		return e
	}
	writeJSON(w, 200, s.renderEvent(ev))
	return nil
}

func (s *Sim) patchEvent(w http.ResponseWriter, r *http.Request, t *token) *apiErr {
	c, ev, e := s.caseEvent(r, t)
	if e != nil {
		return e
	}
	var u struct {
		Status hubee.EventStatus `json:"status"`
	}
	if e := decode(r, &u); e != nil {
		return e
	}
	own := *ev.e.Transmitter == t.client.Org
	switch u.Status {
	case hubee.EventSent:
		if !own {
			return errf(403, "Unauthorized user")
		}
		if ev.e.Status != hubee.EventInProgress {
			// Only a deposit IN_PROGRESS becomes SENT, once (SFD, « Valider la
			// finalisation de l'événement »); the real hub answers 400 otherwise.
			return errf(400, "Bad Request : event is already %s", ev.e.Status)
		}
		for _, a := range ev.e.Attachments { // RC007
			if s.blobs[a.ID].status != hubee.AttachmentReceived {
				return errf(400, "Bad Request : attachment %s is %s", a.FileName, s.blobs[a.ID].status)
			}
		}
		ev.e.Status = hubee.EventSent
		s.notifyEvent(c, ev)
	case hubee.EventReceived:
		if own && t.scope != hubee.ScopeAdmin {
			return errf(403, "Unauthorized user")
		}
		if ev.e.Status == hubee.EventInProgress {
			return errf(400, "Bad Request : event still IN_PROGRESS")
		}
		ev.e.Status = hubee.EventReceived
	default:
		return errf(400, "Bad Request : status %q not allowed", u.Status)
	}
	now := s.now().UTC()
	ev.e.UpdateDateTime = &now
	w.WriteHeader(204)
	return nil
}

func (s *Sim) deleteEvent(w http.ResponseWriter, r *http.Request, t *token) *apiErr {
	c, ev, e := s.caseEvent(r, t)
	if e != nil {
		return e
	}
	if ev.e.ActionType != hubee.ActionAttachDeposit || ev.e.Status != hubee.EventInProgress {
		return errf(400, "Bad Request : only an ATTACH_DEPOSIT event IN_PROGRESS can be deleted")
	}
	if *ev.e.Transmitter != t.client.Org && t.scope != hubee.ScopeAdmin {
		return errf(403, "Unauthorized user")
	}
	for _, a := range ev.e.Attachments {
		delete(s.blobs, a.ID)
	}
	delete(s.events, ev.e.ID)
	c.eventIDs = slices.DeleteFunc(c.eventIDs, func(x string) bool { return x == ev.e.ID })
	w.WriteHeader(204)
	return nil
}

func (s *Sim) putEventAttachment(w http.ResponseWriter, r *http.Request, t *token) *apiErr {
	_, ev, e := s.caseEvent(r, t)
	if e != nil {
		return e
	}
	if *ev.e.Transmitter != t.client.Org {
		return errf(403, "Unauthorized user")
	}
	id := r.PathValue("attachmentId")
	if !slices.ContainsFunc(ev.e.Attachments, func(a hubee.Attachment) bool { return a.ID == id }) {
		return errf(404, "Binary meta-data is not found")
	}
	if ev.e.Status != hubee.EventInProgress {
		return errf(400, "Bad Request : event is %s", ev.e.Status)
	}
	if e := s.receive(r, s.blobs[id]); e != nil {
		return e
	}
	w.WriteHeader(204)
	return nil
}

func (s *Sim) downloadEventAttachment(w http.ResponseWriter, r *http.Request, t *token) *apiErr {
	_, ev, e := s.caseEvent(r, t)
	if e != nil {
		return e
	}
	id := r.PathValue("attachmentId")
	if !slices.ContainsFunc(ev.e.Attachments, func(a hubee.Attachment) bool { return a.ID == id }) {
		return errf(404, "file is not found")
	}
	return s.serveBlob(w, s.blobs[id])
}

// ---- referential ----

// page cuts a list by offSet/maxResult and sets Content-Range ("unit first-last/total").
func page[T any](w http.ResponseWriter, r *http.Request, unit string, all []T) ([]T, *apiErr) {
	q := r.URL.Query()
	off, max := 0, hubee.DefaultMaxResult
	if v := q.Get("offSet"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return nil, errf(400, "Bad Request : offSet %q", v)
		}
		off = n
	}
	if v := q.Get("maxResult"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return nil, errf(400, "Bad Request : maxResult %q", v)
		}
		max = n
	}
	total := len(all)
	if off > total {
		off = total
	}
	end := min(off+max, total)
	last := end - 1
	if end == off {
		last = off
	}
	w.Header().Set("Content-Range", fmt.Sprintf("%s %d-%d/%d", unit, off, last, total))
	return all[off:end], nil
}

func (s *Sim) listSubscriptions(w http.ResponseWriter, r *http.Request, t *token) *apiErr {
	q := r.URL.Query()
	all := []hubee.Subscription{}
	for _, id := range s.subOrder {
		sub := s.subs[id]
		if p := q["processCode"]; len(p) > 0 && !slices.Contains(p, sub.ProcessCode) {
			continue
		}
		if v := q.Get("status"); v != "" && (sub.Status == nil || *sub.Status != v) {
			continue
		}
		if v := q.Get("companyRegister"); v != "" && sub.Subscriber.CompanyRegister != v {
			continue
		}
		if v := q.Get("delegationActorEmail"); v != "" && (sub.DelegationActor == nil || sub.DelegationActor.Email != v) {
			continue
		}
		all = append(all, *sub)
	}
	out, e := page(w, r, "subscriptions", all)
	if e != nil {
		return e
	}
	writeJSON(w, 200, out)
	return nil
}

func (s *Sim) postSubscription(w http.ResponseWriter, r *http.Request, t *token) *apiErr {
	var sub hubee.Subscription
	if e := decode(r, &sub); e != nil {
		return e
	}
	if sub.ProcessCode == "" || sub.Subscriber.CompanyRegister == "" || sub.LocalAdministrator.Email == "" {
		return errf(400, "Bad Request : Validation failed. Object has missing required properties")
	}
	if len(s.procs) > 0 {
		if _, ok := s.procs[sub.ProcessCode]; !ok {
			return errf(400, "Process %s is not found", sub.ProcessCode)
		}
	}
	sub.ID = ""
	now := s.now().UTC()
	sub.UpdateDateTime = &now
	writeJSON(w, 201, s.putSubscription(sub))
	return nil
}

func (s *Sim) getSubscription(w http.ResponseWriter, r *http.Request, t *token) *apiErr {
	sub, ok := s.subs[r.PathValue("subscriptionId")]
	if !ok {
		return errf(404, "Subscription is not found")
	}
	writeJSON(w, 200, sub)
	return nil
}

func (s *Sim) putSubscriptionH(w http.ResponseWriter, r *http.Request, t *token) *apiErr {
	id := r.PathValue("subscriptionId")
	if _, ok := s.subs[id]; !ok {
		return errf(404, "Subscription is not found")
	}
	var sub hubee.Subscription
	if e := decode(r, &sub); e != nil {
		return e
	}
	sub.ID = id
	now := s.now().UTC()
	sub.UpdateDateTime = &now
	writeJSON(w, 200, s.putSubscription(sub))
	return nil
}

func (s *Sim) listOrganizations(w http.ResponseWriter, r *http.Request, t *token) *apiErr {
	q := r.URL.Query()
	all := []hubee.Organization{}
	for _, id := range s.orgOrder {
		o := s.orgs[id]
		if v := q.Get("type"); v != "" && o.Type != v {
			continue
		}
		if v := q.Get("company_register"); v != "" && o.CompanyRegister != v {
			continue
		}
		all = append(all, *o)
	}
	out, e := page(w, r, "organizations", all)
	if e != nil {
		return e
	}
	writeJSON(w, 200, out)
	return nil
}

func (s *Sim) postOrganization(w http.ResponseWriter, r *http.Request, t *token) *apiErr {
	var o hubee.Organization
	if e := decode(r, &o); e != nil {
		return e
	}
	id := o.Identifier().ID()
	if !orgIDRe.MatchString(id) || o.Name == "" {
		return errf(400, "Bad Request : Validation failed. organization %q", id)
	}
	if _, ok := s.orgs[id]; ok {
		return errf(400, "Organization %s already exists", id)
	}
	now := s.now().UTC()
	o.CreateDateTime, o.UpdateDateTime = &now, nil
	s.orgs[id] = &o
	s.orgOrder = append(s.orgOrder, id)
	writeJSON(w, 201, o)
	return nil
}

func (s *Sim) getOrganization(w http.ResponseWriter, r *http.Request, t *token) *apiErr {
	id := r.PathValue("id")
	if !orgIDRe.MatchString(id) {
		return errf(400, "Bad Request : organization id %q", id)
	}
	o, ok := s.orgs[id]
	if !ok {
		return errf(404, "Organization is not found")
	}
	writeJSON(w, 200, o)
	return nil
}

func (s *Sim) putOrganization(w http.ResponseWriter, r *http.Request, t *token) *apiErr {
	id := r.PathValue("id")
	old, ok := s.orgs[id]
	if !ok {
		return errf(404, "Organization is not found")
	}
	var o hubee.Organization
	if e := decode(r, &o); e != nil {
		return e
	}
	if o.Identifier().ID() != id {
		return errf(400, "Bad Request : identifier cannot change")
	}
	now := s.now().UTC()
	o.CreateDateTime, o.UpdateDateTime = old.CreateDateTime, &now
	s.orgs[id] = &o
	writeJSON(w, 200, o)
	return nil
}

func (s *Sim) listProcesses(w http.ResponseWriter, r *http.Request, t *token) *apiErr {
	q := r.URL.Query()
	all := []hubee.Process{}
	for _, code := range s.procOrder {
		p := s.procs[code]
		if v := q.Get("companyRegister"); v != "" && p.OSL.CompanyRegister != v {
			continue
		}
		all = append(all, *p)
	}
	out, e := page(w, r, "processes", all)
	if e != nil {
		return e
	}
	writeJSON(w, 200, out)
	return nil
}

func (s *Sim) postProcess(w http.ResponseWriter, r *http.Request, t *token) *apiErr {
	var p hubee.Process
	if e := decode(r, &p); e != nil {
		return e
	}
	if p.Code == "" || p.Name == "" {
		return errf(400, "Bad Request : Validation failed. Object has missing required properties")
	}
	if _, ok := s.procs[p.Code]; ok {
		return errf(400, "Process %s already exists", p.Code)
	}
	writeJSON(w, 201, s.putProcess(p))
	return nil
}

func (s *Sim) getProcess(w http.ResponseWriter, r *http.Request, t *token) *apiErr {
	p, ok := s.procs[r.PathValue("code")]
	if !ok {
		return errf(404, "Process is not found")
	}
	writeJSON(w, 200, p)
	return nil
}

func (s *Sim) putProcessH(w http.ResponseWriter, r *http.Request, t *token) *apiErr {
	code := r.PathValue("code")
	if _, ok := s.procs[code]; !ok {
		return errf(404, "Process is not found")
	}
	var p hubee.Process
	if e := decode(r, &p); e != nil {
		return e
	}
	p.Code = code
	writeJSON(w, 200, s.putProcess(p))
	return nil
}
