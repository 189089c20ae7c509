package hubee_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"hypercerts/connectors/hubee"
	"hypercerts/domain"
)

// TestEveryEndpoint walks the OSL → SI → OSL loop and the referential, through every
// operation of the seed's table, each request and answer validated against the contract.
func TestEveryEndpoint(t *testing.T) {
	e := setup(t)
	ctx := ctxT(t)
	identity := []byte(`{"codEtu":"21000042","nom":"MARTIN","dateNaissance":"2001-04-12"}`)

	// OSL: create a folder (#1), upload its file (#2), read it (#8), complete it (#4).
	f, err := e.osl.CreateFolder(ctx, hubee.Folder{ProcessCode: process, ExternalID: "PSL-ATTRE-0000000000001",
		Applicant: hubee.Applicant{FirstName: "Camille", LastName: "MARTIN", Email: hubee.Ptr("camille.martin@example.org")},
		Cases:     []hubee.FolderCase{{Recipient: siOrg, ExternalID: "PSL-ATTRE-0000000000001-01", PartnerAttributes: hubee.Ptr("codEtu=21000042")}},
		Attachments: []hubee.FolderAttachment{{Attachment: hubee.Attachment{FileName: "identite.json", Type: "IDENTITE",
			MimeType: "application/json", Size: int64(len(identity))}, Recipients: []string{"PSL-ATTRE-0000000000001-01"}}}})
	if err != nil {
		t.Fatal(err)
	}
	if f.GlobalStatus != hubee.StatusHubeeReceived || len(f.Cases) != 1 || f.Cases[0].ID == "" || f.Attachments[0].ID == "" {
		t.Fatalf("dossier créé : %+v", f)
	}
	if err := e.osl.UploadFolderAttachment(ctx, f.ID, f.Attachments[0].ID, bytes.NewReader(identity), int64(len(identity))); err != nil {
		t.Fatal(err)
	}
	got, err := e.osl.GetFolder(ctx, f.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Attachments[0].Status != hubee.AttachmentReceived {
		t.Fatalf("pièce jointe : %s", got.Attachments[0].Status)
	}
	if err := e.osl.UpdateFolder(ctx, f.ID, hubee.FolderUpdate{GlobalStatus: hubee.StatusHubeeCompleted}); err != nil {
		t.Fatal(err)
	}

	// SI: the notification (#12), the case (#14), its file (#15), the acknowledgement (#5, #3).
	notifs, err := e.si.ListNotifications(ctx, hubee.NotificationQuery{ProcessCodes: []string{process}})
	if err != nil {
		t.Fatal(err)
	}
	if len(notifs) != 1 || notifs[0].CaseID == nil || *notifs[0].CaseID != f.Cases[0].ID || notifs[0].EventID != nil {
		t.Fatalf("notifications : %+v", notifs)
	}
	c, err := e.si.GetCase(ctx, *notifs[0].CaseID)
	if err != nil {
		t.Fatal(err)
	}
	if c.Status != hubee.StatusHubeeNotified || c.ProcessCode != process || c.Applicant.LastName != "MARTIN" ||
		*c.PartnerAttributes != "codEtu=21000042" || len(c.Attachments) != 1 {
		t.Fatalf("case : %+v", c)
	}
	var buf bytes.Buffer
	d, err := e.si.DownloadCaseAttachment(ctx, c.ID, c.Attachments[0].ID, &buf)
	if err != nil {
		t.Fatal(err)
	}
	if !d.Verified || !bytes.Equal(buf.Bytes(), identity) || d.Size != int64(len(identity)) {
		t.Fatalf("téléchargement : %+v %q", d, buf.String())
	}
	if err := e.si.UpdateCase(ctx, c.ID, hubee.StatusSIReceived); err != nil {
		t.Fatal(err)
	}
	cur, next := hubee.StatusHubeeNotified, hubee.StatusSIReceived
	ev, err := e.si.CreateEvent(ctx, c.ID, hubee.Event{ActionType: hubee.ActionStatusUpdate, Notification: true,
		Author: hubee.Ptr("hypercerts"), CaseCurrentStatus: &cur, CaseNewStatus: &next})
	if err != nil {
		t.Fatal(err)
	}
	if ev.Status != hubee.EventSent || ev.Transmitter == nil || *ev.Transmitter != siOrg ||
		ev.PartnerInfo == nil || *ev.PartnerInfo.ApplicationName != "hypercerts" {
		t.Fatalf("événement : %+v", ev)
	}
	if err := e.si.DeleteNotification(ctx, notifs[0].ID); err != nil { // #13
		t.Fatal(err)
	}

	// SI answers with a file: ATTACH_DEPOSIT (#3), upload (#7), SENT (#6).
	pdf := bytes.Repeat([]byte("%PDF-1.4 attestation "), 200)
	done := hubee.StatusDone
	dep, err := e.si.CreateEvent(ctx, c.ID, hubee.Event{ActionType: hubee.ActionAttachDeposit, Notification: true,
		Message: hubee.Ptr("Votre attestation de réussite"), CaseNewStatus: &done,
		Attachments: []hubee.Attachment{{FileName: "attestation.pdf", Type: "ATTESTATION", MimeType: "application/pdf", Size: int64(len(pdf))}}})
	if err != nil {
		t.Fatal(err)
	}
	if dep.Status != hubee.EventInProgress || dep.Attachments[0].Status != hubee.AttachmentPending {
		t.Fatalf("dépôt : %+v", dep)
	}
	if err := e.si.UploadEventAttachment(ctx, c.ID, dep.ID, dep.Attachments[0].ID, bytes.NewReader(pdf), int64(len(pdf))); err != nil {
		t.Fatal(err)
	}
	if err := e.si.UpdateEvent(ctx, c.ID, dep.ID, hubee.EventSent); err != nil {
		t.Fatal(err)
	}
	if st := e.sim.CaseStatus(c.ID); st != hubee.StatusSIReceived { // caseNewStatus is recorded, not applied
		t.Fatalf("statut du case après le dépôt : %s", st)
	}
	if err := e.si.UpdateEvent(ctx, c.ID, dep.ID, hubee.EventSent); !hubee.IsStatus(err, 400) {
		t.Fatalf("second SENT accepté : %v", err)
	}
	if err := e.si.UpdateCase(ctx, c.ID, hubee.StatusDone); err != nil { // #5
		t.Fatal(err)
	}
	if st := e.sim.CaseStatus(c.ID); st != hubee.StatusDone {
		t.Fatalf("statut du case : %s", st)
	}

	// OSL: its notifications (#12), the event (#16), its file (#9), RECEIVED (#6), deletion (#13).
	on, err := e.osl.ListNotifications(ctx, hubee.NotificationQuery{EventDetails: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(on) != 2 {
		t.Fatalf("notifications OSL : %+v", on)
	}
	var depN hubee.Notification
	for _, n := range on {
		if n.EventID != nil && *n.EventID == dep.ID {
			depN = n
		}
	}
	if depN.ID == "" || depN.EventActionType != hubee.ActionAttachDeposit {
		t.Fatalf("notification du dépôt absente : %+v", on)
	}
	gev, err := e.osl.GetEvent(ctx, c.ID, dep.ID)
	if err != nil {
		t.Fatal(err)
	}
	if gev.Status != hubee.EventSent || gev.Attachments[0].Status != hubee.AttachmentReceived {
		t.Fatalf("événement lu : %+v", gev)
	}
	buf.Reset()
	if _, err := e.osl.DownloadEventAttachment(ctx, c.ID, dep.ID, dep.Attachments[0].ID, &buf); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), pdf) {
		t.Fatal("PDF reçu différent")
	}
	if err := e.osl.UpdateEvent(ctx, c.ID, dep.ID, hubee.EventReceived); err != nil {
		t.Fatal(err)
	}
	for _, n := range on {
		if err := e.osl.DeleteNotification(ctx, n.ID); err != nil {
			t.Fatal(err)
		}
	}

	// A deposit cancelled while IN_PROGRESS (#28).
	dep2, err := e.si.CreateEvent(ctx, c.ID, hubee.Event{ActionType: hubee.ActionAttachDeposit,
		Attachments: []hubee.Attachment{{FileName: "x.pdf", Type: "ATTESTATION", MimeType: "application/pdf", Size: 3}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.si.DeleteEvent(ctx, c.ID, dep2.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.si.GetEvent(ctx, c.ID, dep2.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("événement supprimé : %v", err)
	}

	// A folder deleted before completion (#17).
	f2, err := e.osl.CreateFolder(ctx, hubee.Folder{ProcessCode: process, ExternalID: "PSL-ATTRE-0000000000002",
		Applicant: hubee.Applicant{FirstName: "Léa", LastName: "DURAND"},
		Cases:     []hubee.FolderCase{{Recipient: siOrg, ExternalID: "PSL-ATTRE-0000000000002-01"}}, Attachments: []hubee.FolderAttachment{}})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.osl.DeleteFolder(ctx, f2.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.osl.GetFolder(ctx, f2.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("dossier supprimé : %v", err)
	}

	referential(t, ctx, e)

	want := []string{"createFolder", "uploadFolderAttachment", "createEvent", "updateFolder", "updateCase", "updateEvent",
		"uploadEventAttachment", "getFolderById", "downloadEventAttachmentById", "listSubscription", "getSubscriptionById",
		"listNotification", "deleteNotification", "getCaseById", "downloadCaseAttachmentById", "getEventById", "deleteFolder",
		"createSubscription", "updateSubscription", "createOrganization", "updateOrganization", "deleteOrganization",
		"getOrganizations", "createProcess", "updateProcess", "getProcessById", "listProcess", "deleteEvent"}
	seen := e.v.seen()
	for _, op := range want {
		if seen[op] == 0 {
			t.Errorf("opération %s jamais appelée", op)
		}
	}
	if len(want) != 28 {
		t.Fatalf("%d opérations listées, 28 attendues", len(want))
	}
}

func referential(t *testing.T, ctx context.Context, e *env) {
	// Organizations (#20–#23) with pagination.
	for i := range 7 {
		o := hubee.Organization{Type: "SI", CompanyRegister: fmt.Sprintf("1975171940%04d", i), BranchCode: "B" + fmt.Sprint(i),
			Name: fmt.Sprintf("Université %d", i), PostalCode: "75005", Territory: "PARIS", Status: "Actif"}
		if _, err := e.admin.CreateOrganization(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	page, rg, err := e.admin.ListOrganizations(ctx, hubee.OrganizationQuery{MaxResult: 3, OffSet: 3})
	if err != nil {
		t.Fatal(err)
	}
	if len(page) != 3 || !rg.Known || rg.First != 3 || rg.Last != 5 || rg.Total != 7 {
		t.Fatalf("page : %d %+v", len(page), rg)
	}
	all, err := e.admin.AllOrganizations(ctx, hubee.OrganizationQuery{MaxResult: 3})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 7 || all[6].Name != "Université 6" {
		t.Fatalf("toutes les organisations : %d", len(all))
	}
	id := all[2].Identifier().ID()
	o, err := e.admin.GetOrganization(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	o.Name = "Université renommée"
	if _, err := e.admin.UpdateOrganization(ctx, id, o); err != nil {
		t.Fatal(err)
	}
	if o, _ := e.admin.GetOrganization(ctx, id); o.Name != "Université renommée" || o.UpdateDateTime == nil {
		t.Fatalf("organisation modifiée : %+v", o)
	}
	if _, err := e.admin.CreateOrganization(ctx, all[0]); !IsPermanentWith(err, 400, "already exists") {
		t.Fatalf("doublon : %v", err)
	}

	// Processes (#24–#27).
	p := hubee.Process{Code: "ATTINS", Name: "Attestation d'inscription", IsActivated: true, OSL: oslOrg,
		AttachmentFormatsEnabled: []string{"application/pdf"}, AttachmentTypesEnabled: []string{"ATTESTATION"},
		AttachmentMaxSizeEnabled: 1 << 20, StatusBeforeFileDeletion: hubee.StatusSIReceived, TimeBeforeFileDeletion: 1,
		TimeBeforeArchiving: 1, TimeBeforeFolderDeletion: 30, SubscriptionValidation: hubee.SubscriptionValidationAuto}
	if _, err := e.admin.CreateProcess(ctx, p); err != nil {
		t.Fatal(err)
	}
	p.Description = hubee.Ptr("Démarche de test")
	if up, err := e.admin.UpdateProcess(ctx, p.Code, p); err != nil || *up.Description != "Démarche de test" {
		t.Fatalf("démarche modifiée : %+v %v", up, err)
	}
	if gp, err := e.admin.GetProcess(ctx, p.Code); err != nil || gp.Code != "ATTINS" || gp.CreationDateTime == nil {
		t.Fatalf("démarche lue : %+v %v", gp, err)
	}
	procs, err := e.admin.AllProcesses(ctx, hubee.ProcessQuery{MaxResult: 1})
	if err != nil || len(procs) != 2 {
		t.Fatalf("démarches : %d %v", len(procs), err)
	}

	// Subscriptions (#10, #11, #18, #19).
	sub, err := e.admin.CreateSubscription(ctx, hubee.Subscription{DatapassID: 4242, ProcessCode: "ATTINS", Subscriber: siOrg,
		AccessMode: hubee.Ptr(hubee.AccessModeAPI), NotificationFrequency: "unitaire",
		LocalAdministrator: hubee.Contact{FirstName: "Anne", LastName: "Admin", Email: "anne.admin@univ-exemple.fr"}})
	if err != nil {
		t.Fatal(err)
	}
	sub.Status = hubee.Ptr("Actif")
	if _, err := e.admin.UpdateSubscription(ctx, sub.ID, sub); err != nil {
		t.Fatal(err)
	}
	gs, err := e.osl.GetSubscription(ctx, sub.ID)
	if err != nil || *gs.Status != "Actif" || gs.ProcessCode != "ATTINS" {
		t.Fatalf("abonnement : %+v %v", gs, err)
	}
	subs, err := e.osl.AllSubscriptions(ctx, hubee.SubscriptionQuery{MaxResult: 1})
	if err != nil || len(subs) != 2 {
		t.Fatalf("abonnements : %d %v", len(subs), err)
	}
	only, _, err := e.osl.ListSubscriptions(ctx, hubee.SubscriptionQuery{ProcessCodes: []string{process}, CompanyRegister: siOrg.CompanyRegister})
	if err != nil || len(only) != 1 || only[0].ProcessCode != process {
		t.Fatalf("abonnements filtrés : %+v %v", only, err)
	}
}

// IsPermanentWith: an *APIError with that status, a message containing text, permanent.
func IsPermanentWith(err error, status int, text string) bool {
	var ae *hubee.APIError
	if !errors.As(err, &ae) || ae.Status != status || !errors.Is(err, domain.ErrPermanent) {
		return false
	}
	for _, m := range ae.Messages {
		if bytes.Contains([]byte(m), []byte(text)) {
			return true
		}
	}
	return false
}

func TestTokenCachedAndRenewedOnceOn401(t *testing.T) {
	e := setup(t)
	ctx := ctxT(t)
	filed := e.fileRequest(t, 1)
	for range 3 {
		if _, err := e.si.GetCase(ctx, filed.CaseID); err != nil {
			t.Fatal(err)
		}
	}
	if n := e.sim.TokensIssued(); n != 1 {
		t.Fatalf("jetons émis : %d, 1 attendu (cache)", n)
	}
	e.sim.ExpireTokens() // expired mid-run: the hub answers 401
	if _, err := e.si.GetCase(ctx, filed.CaseID); err != nil {
		t.Fatalf("après expiration : %v", err)
	}
	if n := e.sim.TokensIssued(); n != 2 {
		t.Fatalf("jetons émis : %d, 2 attendus (renouvelé une fois)", n)
	}
	if n := e.sim.Calls("getCaseById"); n != 5 {
		t.Fatalf("appels : %d, 5 attendus (4 + 1 rejoué)", n)
	}
	// A POST is replayed too after a 401 (the gateway refused it before any effect).
	e.sim.ExpireTokens()
	if _, err := e.si.CreateEvent(ctx, filed.CaseID, hubee.Event{ActionType: hubee.ActionComAdd, Message: hubee.Ptr("pris en charge")}); err != nil {
		t.Fatal(err)
	}
	if len(e.sim.CaseEvents(filed.CaseID)) != 1 {
		t.Fatal("un seul événement attendu")
	}
}

func TestTokenWithoutExpiryRenewedOn401(t *testing.T) {
	e := setup(t)
	ctx := ctxT(t)
	e.sim.SetTokenLifetime(0) // no expires_in: kept until the hub refuses it
	filed := e.fileRequest(t, 1)
	if _, err := e.si.GetCase(ctx, filed.CaseID); err != nil {
		t.Fatal(err)
	}
	e.sim.ExpireTokens()
	if _, err := e.si.GetCase(ctx, filed.CaseID); err != nil {
		t.Fatal(err)
	}
	if e.si.TokensFetched() != 2 {
		t.Fatalf("jetons : %d", e.si.TokensFetched())
	}
}

func TestBadCredentialsArePermanent(t *testing.T) {
	e := setup(t, func(c *hubee.Config) {
		c.Credentials = map[string]hubee.Credentials{process: {ClientID: "si-attreuss", ClientSecret: "faux"}}
	})
	_, err := e.si.ListNotifications(ctxT(t), hubee.NotificationQuery{})
	if !errors.Is(err, domain.ErrPermanent) {
		t.Fatalf("erreur : %v", err)
	}
	if _, err := e.client.Session("INCONNUE"); !errors.Is(err, domain.ErrInvalid) {
		t.Fatalf("démarche sans identifiants : %v", err)
	}
}

func TestRetryAfter500WithBackoff(t *testing.T) {
	e := setup(t)
	ctx := ctxT(t)
	filed := e.fileRequest(t, 1)

	e.sim.FailNext("getCaseById", 2)
	if _, err := e.si.GetCase(ctx, filed.CaseID); err != nil {
		t.Fatalf("500 puis succès : %v", err)
	}
	if n := e.sim.Calls("getCaseById"); n != 3 {
		t.Fatalf("appels : %d, 3 attendus", n)
	}

	e.sim.FailNext("getCaseById", 5)
	_, err := e.si.GetCase(ctx, filed.CaseID)
	var ae *hubee.APIError
	if !errors.As(err, &ae) || ae.Status != 500 || !domain.IsTransient(err) {
		t.Fatalf("500 persistant : %v", err)
	}
	if n := e.sim.Calls("getCaseById"); n != 6 {
		t.Fatalf("appels : %d, 6 attendus (3 essais)", n)
	}
	e.sim.FailNext("getCaseById", -2) // clear

	// A creation is never retried: the caller decides.
	e.sim.FailNext("createEvent", 1)
	_, err = e.si.CreateEvent(ctx, filed.CaseID, hubee.Event{ActionType: hubee.ActionComAdd})
	if !domain.IsTransient(err) || e.sim.Calls("createEvent") != 1 {
		t.Fatalf("POST : %v, %d appels", err, e.sim.Calls("createEvent"))
	}

	// The token endpoint failing is transient too.
	e.sim.ExpireTokens()
	e.sim.FailNext("token", 1)
	if _, err := e.si.GetCase(ctx, filed.CaseID); err != nil {
		t.Fatalf("jeton en 500 puis succès : %v", err)
	}
}

func TestDigestMismatchRejected(t *testing.T) {
	e := setup(t)
	ctx := ctxT(t)
	filed := e.fileRequest(t, 1)
	e.sim.CorruptNextDownloads(1)
	var buf bytes.Buffer
	_, err := e.si.DownloadCaseAttachment(ctx, filed.CaseID, filed.AttachmentIDs[0], &buf)
	var de *hubee.DigestError
	if !errors.As(err, &de) || !domain.IsTransient(err) {
		t.Fatalf("empreinte : %v", err)
	}
	buf.Reset()
	d, err := e.si.DownloadCaseAttachment(ctx, filed.CaseID, filed.AttachmentIDs[0], &buf)
	if err != nil || !d.Verified || !bytes.Equal(buf.Bytes(), e.sim.AttachmentData(filed.AttachmentIDs[0])) {
		t.Fatalf("second essai : %+v %v", d, err)
	}
}

func TestNotificationBatches(t *testing.T) {
	e := setup(t)
	ctx := ctxT(t)
	for i := range 7 {
		e.fileRequest(t, i)
	}
	// Without deleting, the hub sends the same batch again: the loop stops.
	err := e.si.EachNotification(ctx, hubee.NotificationQuery{MaxResult: 3}, 10, func(hubee.Notification) error { return nil })
	if !errors.Is(err, hubee.ErrNoProgress) {
		t.Fatalf("sans suppression : %v", err)
	}
	before := e.sim.Calls("listNotification")
	var handled []string
	err = e.si.EachNotification(ctx, hubee.NotificationQuery{MaxResult: 3}, 10, func(n hubee.Notification) error {
		handled = append(handled, *n.CaseID)
		return e.si.DeleteNotification(ctx, n.ID)
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(handled) != 7 {
		t.Fatalf("traitées : %d", len(handled))
	}
	if n := e.sim.Calls("listNotification") - before; n != 3 {
		t.Fatalf("lots : %d, 3 attendus (3, 3, 1)", n)
	}
	if len(e.sim.PendingNotifications(siOrg)) != 0 {
		t.Fatal("notifications restantes")
	}
}

func TestErrorBodyMapping(t *testing.T) {
	e := setup(t)
	ctx := ctxT(t)
	filed := e.fileRequest(t, 1)

	_, err := e.si.GetCase(ctx, "0b9d6c1e-7a35-4a8e-9f7c-2f4a1d3e5b60")
	var ae *hubee.APIError
	if !errors.As(err, &ae) || ae.Status != 404 || !errors.Is(err, domain.ErrNotFound) || ae.Messages[0] != "Case is not found" || !ae.HasCode(404) {
		t.Fatalf("404 : %#v", err)
	}
	err = e.si.DeleteNotification(ctx, "pas-un-uuid")
	if !IsPermanentWith(err, 400, "is not a valid UUID") {
		t.Fatalf("400 : %v", err)
	}
	// The SI may not read a folder (OSL and ADMIN only): 403.
	_, err = e.si.GetFolder(ctx, filed.FolderID)
	if !IsPermanentWith(err, 403, "Unauthorized user") {
		t.Fatalf("403 : %v", err)
	}
	// Declared size ≠ size sent: 400, never retried.
	ev, err := e.si.CreateEvent(ctx, filed.CaseID, hubee.Event{ActionType: hubee.ActionAttachDeposit,
		Attachments: []hubee.Attachment{{FileName: "a.pdf", Type: "ATTESTATION", MimeType: "application/pdf", Size: 10}}})
	if err != nil {
		t.Fatal(err)
	}
	err = e.si.UploadEventAttachment(ctx, filed.CaseID, ev.ID, ev.Attachments[0].ID, io.LimitReader(bytes.NewReader(make([]byte, 12)), 12), 12)
	if !IsPermanentWith(err, 400, "differs from the declared size") {
		t.Fatalf("taille : %v", err)
	}
	// A deposit cannot be SENT before its files.
	if err := e.si.UpdateEvent(ctx, filed.CaseID, ev.ID, hubee.EventSent); !IsPermanentWith(err, 400, "REJECTED") {
		t.Fatalf("SENT prématuré : %v", err)
	}
	// ATTACH_DEPOSIT without attachment.
	if _, err := e.si.CreateEvent(ctx, filed.CaseID, hubee.Event{ActionType: hubee.ActionAttachDeposit}); !IsPermanentWith(err, 400, "at least one attachment") {
		t.Fatalf("dépôt vide : %v", err)
	}
}

func TestStreamUploadAndMethodOverride(t *testing.T) {
	e := setup(t, func(c *hubee.Config) { c.MethodOverride = true })
	ctx := ctxT(t)
	filed := e.fileRequest(t, 1)
	if err := e.si.UpdateCase(ctx, filed.CaseID, hubee.StatusInProgress); err != nil {
		t.Fatal(err)
	}
	if e.v.seen()["updateCaseWithPost"] != 1 || e.sim.CaseStatus(filed.CaseID) != hubee.StatusInProgress {
		t.Fatalf("X-HTTP-Method-Override : %v", e.v.seen())
	}
	data := bytes.Repeat([]byte{0x25, 0x50, 0x44, 0x46}, 4096)
	ev, err := e.si.CreateEvent(ctx, filed.CaseID, hubee.Event{ActionType: hubee.ActionAttachDeposit,
		Attachments: []hubee.Attachment{{FileName: "a.pdf", Type: "ATTESTATION", MimeType: "application/pdf", Size: int64(len(data))}}})
	if err != nil {
		t.Fatal(err)
	}
	// A plain stream (not seekable): sent once, without digest.
	pr, pw := io.Pipe()
	go func() { _, _ = pw.Write(data); _ = pw.Close() }()
	if err := e.si.UploadEventAttachment(ctx, filed.CaseID, ev.ID, ev.Attachments[0].ID, pr, int64(len(data))); err != nil {
		t.Fatal(err)
	}
	if err := e.si.UpdateEvent(ctx, filed.CaseID, ev.ID, hubee.EventSent); err != nil {
		t.Fatal(err)
	}
	if e.v.seen()["updateEventWithPost"] != 1 || !bytes.Equal(e.sim.AttachmentData(ev.Attachments[0].ID), data) {
		t.Fatal("envoi en flux")
	}
}

func TestPurgedFilesAfterAcknowledgement(t *testing.T) {
	e := setup(t)
	ctx := ctxT(t)
	e.sim.SetPurgeOnStatus(true)
	filed := e.fileRequest(t, 1)
	if err := e.si.UpdateCase(ctx, filed.CaseID, hubee.StatusSIReceived); err != nil {
		t.Fatal(err)
	}
	_, err := e.si.DownloadCaseAttachment(ctx, filed.CaseID, filed.AttachmentIDs[0], io.Discard)
	if !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("fichier purgé : %v", err)
	}
	c, err := e.si.GetCase(ctx, filed.CaseID)
	if err != nil || c.Attachments[0].Status != hubee.AttachmentDeleted {
		t.Fatalf("statut PJ : %+v %v", c.Attachments, err)
	}
}

func TestConfigValidation(t *testing.T) {
	if _, err := hubee.New(hubee.Config{BaseURL: "", TokenURL: "http://x/token"}); !errors.Is(err, domain.ErrInvalid) {
		t.Fatal(err)
	}
	if _, err := hubee.New(hubee.Config{BaseURL: "http://x", TokenURL: "http://x/token", EditorName: string(bytes.Repeat([]byte("e"), 51))}); err == nil {
		t.Fatal("en-tête trop long accepté")
	}
	rg := hubee.ParseContentRange("Susbscriptions 0-27/100")
	if !rg.Known || rg.First != 0 || rg.Last != 27 || rg.Total != 100 {
		t.Fatalf("%+v", rg)
	}
	if hubee.ParseContentRange("").Known {
		t.Fatal("vide")
	}
}

// One retry layer honouring Retry-After (RFC 9110 §10.2.3) on 429 and 503, within a cap.
func TestRetryAfterHonouredWithinCap(t *testing.T) {
	e := setup(t, func(c *hubee.Config) { c.RetryAfterMax = time.Minute })
	ctx := ctxT(t)
	filed := e.fileRequest(t, 1)
	var waits []time.Duration
	hubee.SetSleep(e.client, func(ctx context.Context, d time.Duration) error { waits = append(waits, d); return nil })

	e.sim.FailNextWith("getCaseById", 1, 429, "7")
	if _, err := e.si.GetCase(ctx, filed.CaseID); err != nil {
		t.Fatal(err)
	}
	if len(waits) != 1 || waits[0] != 7*time.Second {
		t.Fatalf("attentes : %v, 7s attendu (Retry-After)", waits)
	}
	// Beyond the cap: no wait, a transient error, the case waits for the next run.
	waits = nil
	before := e.sim.Calls("getCaseById")
	e.sim.FailNextWith("getCaseById", 1, 503, "3600")
	_, err := e.si.GetCase(ctx, filed.CaseID)
	if !domain.IsTransient(err) || !strings.Contains(err.Error(), "Retry-After") || len(waits) != 0 ||
		e.sim.Calls("getCaseById") != before+1 {
		t.Fatalf("Retry-After au-delà du plafond : %v, attentes %v, %d appels", err, waits, e.sim.Calls("getCaseById")-before)
	}
}

// Partner headers go out in ASCII: "Université Exemple" is transliterated.
func TestPartnerHeadersASCII(t *testing.T) {
	e := setup(t, func(c *hubee.Config) { c.EditorName = "Université d’Exemple – Besançon" })
	ctx := ctxT(t)
	filed := e.fileRequest(t, 1)
	ev, err := e.si.CreateEvent(ctx, filed.CaseID, hubee.Event{ActionType: hubee.ActionComAdd, Notification: false})
	if err != nil {
		t.Fatal(err)
	}
	if ev.PartnerInfo == nil || ev.PartnerInfo.EditorName == nil || *ev.PartnerInfo.EditorName != "Universite d'Exemple - Besancon" {
		t.Fatalf("partnerInfo : %+v", ev.PartnerInfo)
	}
}

// X-HTTP-Method-Override, for proxies that block PATCH: the case is changed through
// updateCaseWithPost.
func TestMethodOverride(t *testing.T) {
	e := setup(t, func(c *hubee.Config) { c.MethodOverride = true })
	ctx := ctxT(t)
	filed := e.fileRequest(t, 1)
	if err := e.si.UpdateCase(ctx, filed.CaseID, hubee.StatusSIReceived); err != nil {
		t.Fatal(err)
	}
	if e.sim.Calls("updateCaseWithPost") != 1 || e.sim.Calls("updateCase") != 0 || e.sim.CaseStatus(filed.CaseID) != hubee.StatusSIReceived {
		t.Fatalf("appels : %d POST, %d PATCH", e.sim.Calls("updateCaseWithPost"), e.sim.Calls("updateCase"))
	}
}
