package hubee

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"hypercerts/domain"
)

// StatusMode is how a case status is changed: the Postman collection PATCHes the case
// then POSTs a STATUS_UPDATE event; DINUM's 2024 script only POSTs an event carrying
// caseNewStatus. Which one production expects is unconfirmed: it is a setting.
type StatusMode string

// Status modes.
const (
	StatusPatchThenEvent StatusMode = "patch+event" // default
	StatusEventOnly      StatusMode = "event"
)

// HubOptions tune the domain adapter.
type HubOptions struct {
	StatusMode StatusMode
	// Author written on the events (default "hypercerts").
	Author string
	// DownloadAttempts on a digest mismatch (default 3).
	DownloadAttempts int
	// TempDir for downloads being verified (default os.TempDir()).
	TempDir string
}

// Hub adapts a Client to the domain.Hub port.
type Hub struct {
	c   *Client
	opt HubOptions
}

var _ domain.Hub = (*Hub)(nil)

// NewHub wraps a client for the engine.
func NewHub(c *Client, opt HubOptions) *Hub {
	if opt.StatusMode == "" {
		opt.StatusMode = StatusPatchThenEvent
	}
	if opt.Author == "" {
		opt.Author = "hypercerts"
	}
	if opt.DownloadAttempts <= 0 {
		opt.DownloadAttempts = 3
	}
	return &Hub{c: c, opt: opt}
}

// Processes lists the démarches with credentials.
func (h *Hub) Processes() []string { return h.c.Processes() }

// Notifications returns one batch.
func (h *Hub) Notifications(ctx context.Context, process string, max int) ([]domain.HubNotification, error) {
	s, err := h.c.Session(process)
	if err != nil {
		return nil, err
	}
	ns, err := s.ListNotifications(ctx, NotificationQuery{MaxResult: max, ProcessCodes: []string{process}})
	if err != nil {
		return nil, err
	}
	out := make([]domain.HubNotification, 0, len(ns))
	for _, n := range ns {
		d := domain.HubNotification{ID: n.ID, ProcessCode: n.ProcessCode, CaseID: deref(n.CaseID), EventID: deref(n.EventID)}
		if n.DateTime != nil {
			d.At = *n.DateTime
		}
		out = append(out, d)
	}
	return out, nil
}

// DeleteNotification removes a handled notification; one already gone is not an error.
func (h *Hub) DeleteNotification(ctx context.Context, process, id string) error {
	s, err := h.c.Session(process)
	if err != nil {
		return err
	}
	if err := s.DeleteNotification(ctx, id); err != nil && !errors.Is(err, domain.ErrNotFound) {
		return err
	}
	return nil
}

// Case fetches a case.
func (h *Hub) Case(ctx context.Context, process, caseID string) (domain.HubCase, error) {
	s, err := h.c.Session(process)
	if err != nil {
		return domain.HubCase{}, err
	}
	c, err := s.GetCase(ctx, caseID)
	if err != nil {
		return domain.HubCase{}, err
	}
	out := domain.HubCase{ID: c.ID, ExternalID: c.ExternalID, ProcessCode: c.ProcessCode, Status: domain.HubStatus(c.Status),
		PartnerAttributes: deref(c.PartnerAttributes), Attachments: attachments(c.Attachments), Created: c.CreateDateTime}
	if c.Applicant != nil {
		out.Applicant = domain.HubApplicant{FirstName: c.Applicant.FirstName, LastName: c.Applicant.LastName, Email: deref(c.Applicant.Email)}
	}
	for _, e := range c.Events {
		out.Events = append(out.Events, h.event(c.ID, e, process))
	}
	return out, nil
}

// Event fetches an event.
func (h *Hub) Event(ctx context.Context, process, caseID, eventID string) (domain.HubEvent, error) {
	s, err := h.c.Session(process)
	if err != nil {
		return domain.HubEvent{}, err
	}
	e, err := s.GetEvent(ctx, caseID, eventID)
	if err != nil {
		return domain.HubEvent{}, err
	}
	return h.event(caseID, e, process), nil
}

func (h *Hub) event(caseID string, e Event, process string) domain.HubEvent {
	out := domain.HubEvent{ID: e.ID, CaseID: caseID, ActionType: string(e.ActionType), Status: string(e.Status),
		Message: deref(e.Message), Attachments: attachments(e.Attachments)}
	if e.CaseNewStatus != nil {
		out.NewStatus = domain.HubStatus(*e.CaseNewStatus)
	}
	if e.CreateDateTime != nil {
		out.Created = *e.CreateDateTime
	}
	if e.Transmitter != nil {
		out.FromOSL = e.Transmitter.Type == "OSL"
	}
	return out
}

// DownloadCaseAttachment writes a verified file into w.
func (h *Hub) DownloadCaseAttachment(ctx context.Context, process, caseID, attachmentID string, size int64, w io.Writer) (int64, error) {
	return h.verified(ctx, process, size, w, func(s *Session, f io.Writer) (Download, error) {
		return s.DownloadCaseAttachment(ctx, caseID, attachmentID, f)
	})
}

// DownloadEventAttachment writes a verified file into w.
func (h *Hub) DownloadEventAttachment(ctx context.Context, process, caseID, eventID, attachmentID string, size int64, w io.Writer) (int64, error) {
	return h.verified(ctx, process, size, w, func(s *Session, f io.Writer) (Download, error) {
		return s.DownloadEventAttachment(ctx, caseID, eventID, attachmentID, f)
	})
}

// verified downloads into a temporary file, retries a digest mismatch, checks the
// declared size, and copies the file to w only once it is verified: w never sees a
// corrupted byte. The file streams through disk, never whole in memory.
func (h *Hub) verified(ctx context.Context, process string, size int64, w io.Writer, dl func(*Session, io.Writer) (Download, error)) (int64, error) {
	s, err := h.c.Session(process)
	if err != nil {
		return 0, err
	}
	if size > 0 { // a hostile or broken hub cannot fill the disk beyond the declared size
		inner := dl
		dl = func(s *Session, w io.Writer) (Download, error) { return inner(s, &capWriter{w: w, left: size}) }
	}
	if rw, ok := w.(resetWriter); ok { // a file that is committed only once verified
		return h.verifiedInto(ctx, s, size, rw, dl)
	}
	tmp, err := os.CreateTemp(h.opt.TempDir, "hubee-*.part")
	if err != nil {
		return 0, err
	}
	defer func() { _ = tmp.Close(); _ = os.Remove(tmp.Name()) }()
	wait := h.c.cfg.Backoff
	for attempt := 1; ; attempt++ {
		if err := tmp.Truncate(0); err != nil {
			return 0, err
		}
		if _, err := tmp.Seek(0, io.SeekStart); err != nil {
			return 0, err
		}
		var d Download
		d, err = dl(s, tmp)
		if err == nil && size > 0 && d.Size != size {
			return 0, sizeError(d.Size, size)
		}
		var de *DigestError
		if err == nil || !errors.As(err, &de) || attempt >= h.opt.DownloadAttempts {
			break
		}
		if err := h.c.sleep(ctx, wait); err != nil {
			return 0, err
		}
		wait *= 2
	}
	if err != nil {
		return 0, err
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return 0, err
	}
	return io.Copy(w, tmp)
}

// resetWriter is a destination that can start again (domain.HubFileWriter): a
// download goes straight into it, with no temporary copy.
type resetWriter interface {
	io.Writer
	Reset() error
}

// verifiedInto downloads straight into w, starting it again after a digest mismatch;
// the caller keeps w only on a nil error.
func (h *Hub) verifiedInto(ctx context.Context, s *Session, size int64, w resetWriter, dl func(*Session, io.Writer) (Download, error)) (int64, error) {
	wait := h.c.cfg.Backoff
	for attempt := 1; ; attempt++ {
		if err := w.Reset(); err != nil {
			return 0, err
		}
		d, err := dl(s, w)
		if err == nil {
			if size > 0 && d.Size != size {
				return 0, sizeError(d.Size, size)
			}
			return d.Size, nil
		}
		var de *DigestError
		if !errors.As(err, &de) || attempt >= h.opt.DownloadAttempts {
			return 0, err
		}
		if err := h.c.sleep(ctx, wait); err != nil {
			return 0, err
		}
		wait *= 2
	}
}

// capWriter refuses bytes beyond the declared size.
type capWriter struct {
	w    io.Writer
	left int64
}

func (c *capWriter) Write(p []byte) (int, error) {
	if int64(len(p)) > c.left {
		return 0, sizeError(-1, 0)
	}
	c.left -= int64(len(p))
	return c.w.Write(p)
}

func sizeError(got, declared int64) error {
	if got < 0 {
		return &domain.ExternalError{System: "HubEE", Op: "téléchargement", Kind: domain.ErrPermanent,
			Msg: "fichier plus long que la taille déclarée dans les métadonnées de la pièce : téléchargement arrêté"}
	}
	return &domain.ExternalError{System: "HubEE", Op: "téléchargement", Kind: domain.ErrPermanent,
		Msg: fmt.Sprintf("taille reçue %d octets, %d déclarés dans les métadonnées de la pièce", got, declared)}
}

// SetCaseStatus changes a case's status and notifies the OSL with a STATUS_UPDATE event.
func (h *Hub) SetCaseStatus(ctx context.Context, process, caseID string, from, to domain.HubStatus, message string) error {
	s, err := h.c.Session(process)
	if err != nil {
		return err
	}
	if h.opt.StatusMode != StatusEventOnly {
		if err := s.UpdateCase(ctx, caseID, CaseStatus(to)); err != nil {
			return err
		}
	}
	cur, next := CaseStatus(from), CaseStatus(to)
	ev := Event{ActionType: ActionStatusUpdate, Notification: true, Author: Ptr(h.opt.Author), CaseNewStatus: &next}
	if from != "" {
		ev.CaseCurrentStatus = &cur
	}
	if message != "" {
		ev.Message = Ptr(truncateRunes(message, 1000))
	}
	_, err = s.CreateEvent(ctx, caseID, ev)
	return err
}

// UpdateCaseStatus changes a case's status with updateCase alone (PATCH /cases/{id}),
// the only way the functional specification changes a status. In event-only mode it
// does nothing: that mode counts on the hub applying an event's caseNewStatus.
func (h *Hub) UpdateCaseStatus(ctx context.Context, process, caseID string, to domain.HubStatus) error {
	if h.opt.StatusMode == StatusEventOnly {
		return nil
	}
	s, err := h.c.Session(process)
	if err != nil {
		return err
	}
	return s.UpdateCase(ctx, caseID, CaseStatus(to))
}

// StatusByEventOnly reports whether statuses are sent only as events' caseNewStatus.
func (h *Hub) StatusByEventOnly() bool { return h.opt.StatusMode == StatusEventOnly }

// AckEvent marks an event RECEIVED.
func (h *Hub) AckEvent(ctx context.Context, process, caseID, eventID string) error {
	s, err := h.c.Session(process)
	if err != nil {
		return err
	}
	return s.UpdateEvent(ctx, caseID, eventID, EventReceived)
}

// StartDeposit creates an ATTACH_DEPOSIT event declaring the files.
func (h *Hub) StartDeposit(ctx context.Context, process, caseID, message string, newStatus domain.HubStatus, files []domain.HubFile) (domain.HubEvent, error) {
	s, err := h.c.Session(process)
	if err != nil {
		return domain.HubEvent{}, err
	}
	ev := Event{ActionType: ActionAttachDeposit, Notification: true, Author: Ptr(h.opt.Author)}
	if message != "" {
		ev.Message = Ptr(truncateRunes(message, 1000))
	}
	if newStatus != "" {
		st := CaseStatus(newStatus)
		ev.CaseNewStatus = &st
	}
	for _, f := range files {
		ev.Attachments = append(ev.Attachments, Attachment{FileName: f.FileName, Type: f.Type, MimeType: f.MimeType, Size: f.Size})
	}
	out, err := s.CreateEvent(ctx, caseID, ev)
	if err != nil {
		return domain.HubEvent{}, err
	}
	return h.event(caseID, out, process), nil
}

// UploadDeposit sends one declared file.
func (h *Hub) UploadDeposit(ctx context.Context, process, caseID, eventID, attachmentID string, r io.Reader, size int64) error {
	s, err := h.c.Session(process)
	if err != nil {
		return err
	}
	return s.UploadEventAttachment(ctx, caseID, eventID, attachmentID, r, size)
}

// SendDeposit marks a deposit SENT.
func (h *Hub) SendDeposit(ctx context.Context, process, caseID, eventID string) error {
	s, err := h.c.Session(process)
	if err != nil {
		return err
	}
	// The hub refuses a second SENT (400): read the event first, so that a resumed
	// deposit that already went out is not sent again.
	ev, err := s.GetEvent(ctx, caseID, eventID)
	if err != nil {
		return err
	}
	if ev.Status == EventSent || ev.Status == EventReceived {
		return nil
	}
	return s.UpdateEvent(ctx, caseID, eventID, EventSent)
}

// CancelDeposit deletes a deposit not yet sent.
func (h *Hub) CancelDeposit(ctx context.Context, process, caseID, eventID string) error {
	s, err := h.c.Session(process)
	if err != nil {
		return err
	}
	return s.DeleteEvent(ctx, caseID, eventID)
}

func attachments(in []Attachment) []domain.HubAttachment {
	out := make([]domain.HubAttachment, 0, len(in))
	for _, a := range in {
		out = append(out, domain.HubAttachment{ID: a.ID, FileName: a.FileName, Type: a.Type, MimeType: a.MimeType, Size: a.Size, Status: string(a.Status)})
	}
	return out
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func truncateRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n])
}
