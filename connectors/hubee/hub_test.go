package hubee_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"hypercerts/connectors/hubee"
	"hypercerts/domain"
)

// TestHubPortLoop runs the SI side through the domain port: notification, case, a
// corrupted download retried and never handed over, acknowledgement, answer with a PDF.
func TestHubPortLoop(t *testing.T) {
	for _, mode := range []hubee.StatusMode{hubee.StatusPatchThenEvent, hubee.StatusEventOnly} {
		t.Run(string(mode), func(t *testing.T) {
			e := setup(t)
			ctx := ctxT(t)
			var hub domain.Hub = hubee.NewHub(e.client, hubee.HubOptions{StatusMode: mode, TempDir: t.TempDir()})
			filed := e.fileRequest(t, 1)

			ns, err := hub.Notifications(ctx, process, 25)
			if err != nil || len(ns) != 1 || !ns[0].IsNewCase() || ns[0].CaseID != filed.CaseID {
				t.Fatalf("notifications : %+v %v", ns, err)
			}
			c, err := hub.Case(ctx, process, ns[0].CaseID)
			if err != nil || c.Applicant.LastName != "MARTIN" || c.Status != domain.HubNotified || len(c.Attachments) != 1 {
				t.Fatalf("case : %+v %v", c, err)
			}
			e.sim.CorruptNextDownloads(1)
			var buf bytes.Buffer
			n, err := hub.DownloadCaseAttachment(ctx, process, c.ID, c.Attachments[0].ID, c.Attachments[0].Size, &buf)
			if err != nil || n != c.Attachments[0].Size || !bytes.Equal(buf.Bytes(), e.sim.AttachmentData(filed.AttachmentIDs[0])) {
				t.Fatalf("téléchargement vérifié : %d %v", n, err)
			}
			if err := hub.SetCaseStatus(ctx, process, c.ID, c.Status, domain.HubSIReceived, ""); err != nil {
				t.Fatal(err)
			}
			// The functional specification changes a status only through updateCase: in
			// event-only mode the event records it, the case does not move.
			wantReceived, wantDone := hubee.StatusSIReceived, hubee.StatusDone
			if mode == hubee.StatusEventOnly {
				wantReceived, wantDone = hubee.StatusHubeeNotified, hubee.StatusHubeeNotified
			}
			if st := e.sim.CaseStatus(c.ID); st != wantReceived {
				t.Fatalf("statut : %s", st)
			}
			pdf := []byte("%PDF-1.4 attestation de réussite")
			ev, err := hub.StartDeposit(ctx, process, c.ID, "Votre attestation de réussite", domain.HubDone,
				[]domain.HubFile{{FileName: "attestation.pdf", Type: "ATTESTATION", MimeType: "application/pdf", Size: int64(len(pdf))}})
			if err != nil || ev.Status != "IN_PROGRESS" || len(ev.Attachments) != 1 {
				t.Fatalf("dépôt : %+v %v", ev, err)
			}
			if err := hub.UploadDeposit(ctx, process, c.ID, ev.ID, ev.Attachments[0].ID, bytes.NewReader(pdf), int64(len(pdf))); err != nil {
				t.Fatal(err)
			}
			if err := hub.SendDeposit(ctx, process, c.ID, ev.ID); err != nil {
				t.Fatal(err)
			}
			// A resumed deposit already SENT is not sent twice (the hub would answer 400).
			if err := hub.SendDeposit(ctx, process, c.ID, ev.ID); err != nil {
				t.Fatalf("second SENT : %v", err)
			}
			if st := e.sim.CaseStatus(c.ID); st != wantReceived {
				t.Fatalf("le dépôt (caseNewStatus DONE) ne change pas le statut : %s", st)
			}
			if err := hub.UpdateCaseStatus(ctx, process, c.ID, domain.HubDone); err != nil {
				t.Fatal(err)
			}
			if err := hub.DeleteNotification(ctx, process, ns[0].ID); err != nil {
				t.Fatal(err)
			}
			if err := hub.DeleteNotification(ctx, process, ns[0].ID); err != nil { // already gone: fine
				t.Fatal(err)
			}
			if st := e.sim.CaseStatus(c.ID); st != wantDone {
				t.Fatalf("statut final : %s", st)
			}
			if got := e.sim.AttachmentData(ev.Attachments[0].ID); !bytes.Equal(got, pdf) {
				t.Fatal("PDF déposé différent")
			}
			if len(e.sim.PendingNotifications(oslOrg)) != 2 { // STATUS_UPDATE + deposit
				t.Fatalf("notifications OSL : %+v", e.sim.PendingNotifications(oslOrg))
			}
		})
	}
}

// The démarche's settings hypercerts needs (SFD RC003, RC005, RC006), as doctor says them.
func TestMissingPrerequisites(t *testing.T) {
	ok := hubee.Process{IsActivated: true, MessageToTransmitter: true, SIAttachmentFormatsEnabled: []string{"application/pdf"},
		AttachmentMaxSizeEnabled: 10 << 20}
	if m := hubee.MissingPrerequisites(ok, true, 1<<20); len(m) != 0 {
		t.Fatalf("rien ne manque : %v", m)
	}
	bare := hubee.Process{IsActivated: true}
	m := hubee.MissingPrerequisites(bare, true, 1<<20)
	if len(m) != 2 || !strings.Contains(m[0], "messageToTransmitter") || !strings.Contains(m[1], "siAttachmentFormatsEnabled") {
		t.Fatalf("manques : %v", m)
	}
	// A démarche only acknowledged needs messages, not the PDF.
	if m := hubee.MissingPrerequisites(bare, false, 0); len(m) != 1 {
		t.Fatalf("autre démarche : %v", m)
	}
}

// The simulator refuses what the hub refuses for a démarche's settings (SFD RC005,
// RC006): a message when messageToTransmitter is false, a SI file whose type is not in
// siAttachmentFormatsEnabled (empty: none at all).
func TestSimEnforcesDemarcheSettings(t *testing.T) {
	e := setup(t)
	ctx := ctxT(t)
	p, err := e.admin.GetProcess(ctx, process)
	if err != nil {
		t.Fatal(err)
	}
	p.MessageToTransmitter, p.SIAttachmentFormatsEnabled = false, nil
	if _, err := e.admin.UpdateProcess(ctx, process, p); err != nil {
		t.Fatal(err)
	}
	filed := e.fileRequest(t, 1)
	refused := hubee.StatusRefused
	_, err = e.si.CreateEvent(ctx, filed.CaseID, hubee.Event{ActionType: hubee.ActionStatusUpdate, Notification: true,
		CaseNewStatus: &refused, Message: hubee.Ptr("Votre demande ne peut pas être satisfaite")})
	if !hubee.IsStatus(err, 400) || !strings.Contains(err.Error(), "messageToTransmitter") {
		t.Fatalf("message refusé attendu : %v", err)
	}
	_, err = e.si.CreateEvent(ctx, filed.CaseID, hubee.Event{ActionType: hubee.ActionAttachDeposit, Notification: true,
		Attachments: []hubee.Attachment{{FileName: "a.pdf", Type: "ATTESTATION", MimeType: "application/pdf", Size: 10}}})
	if !hubee.IsStatus(err, 400) || !strings.Contains(err.Error(), "mimeType") {
		t.Fatalf("PDF refusé attendu : %v", err)
	}
	// Without a message, a status event still goes through.
	if _, err := e.si.CreateEvent(ctx, filed.CaseID, hubee.Event{ActionType: hubee.ActionStatusUpdate, Notification: true,
		CaseNewStatus: &refused}); err != nil {
		t.Fatal(err)
	}
}

// A file longer or shorter than its declared size is refused for good (the hub's
// metadata and its file disagree: downloading again would not help), and a longer one
// is cut off as soon as it passes the declared size.
func TestDownloadDeclaredSize(t *testing.T) {
	e := setup(t)
	ctx := ctxT(t)
	hub := hubee.NewHub(e.client, hubee.HubOptions{TempDir: t.TempDir()})
	filed := e.fileRequest(t, 1)
	real := int64(len(e.sim.AttachmentData(filed.AttachmentIDs[0])))
	for _, declared := range []int64{real - 5, real + 5} {
		var buf bytes.Buffer
		_, err := hub.DownloadCaseAttachment(ctx, process, filed.CaseID, filed.AttachmentIDs[0], declared, &buf)
		if !errors.Is(err, domain.ErrPermanent) || !strings.Contains(err.Error(), "taille") || buf.Len() != 0 {
			t.Fatalf("taille déclarée %d (réelle %d) : %v, %d octets remis", declared, real, err, buf.Len())
		}
	}
}
