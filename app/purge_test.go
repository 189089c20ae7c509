package app

import (
	"context"
	"errors"
	"testing"
	"time"

	"hypercerts/domain"
)

// TestPurge_HubEECasesLoseTheirPersonalDataAndFiles: after the retention period, a
// finished HubEE case keeps its outcome but not the applicant, the student or the files.
func TestPurge_HubEECasesLoseTheirPersonalDataAndFiles(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a := openDemo(t)
	rep, err := a.Engine.HubEESync(ctx)
	if err != nil || rep.Delivered == 0 {
		t.Fatalf("sync: %+v %v", rep, err)
	}
	before, err := a.Store.HubEECases()
	if err != nil || len(before) == 0 {
		t.Fatal(err)
	}
	// One case left waiting for a person (its files kept on disk) goes too.
	waiting := before[0]
	waiting.Step, waiting.NeedsPerson, waiting.LastError = domain.HubStepFetched, true, "HubEE getCaseById : HTTP 403"
	if err := a.Store.PutHubEECase(waiting); err != nil {
		t.Fatal(err)
	}
	if err := a.Store.PutHubEEFile(waiting.CaseID, "case/identite", []byte(`{"ine":"1234567890A"}`)); err != nil {
		t.Fatal(err)
	}
	var withFile domain.HubEECase
	for _, c := range before {
		if c.Deposit.Key != "" {
			withFile = c
		}
	}
	if _, err := a.Store.HubEEFile(withFile.CaseID, withFile.Deposit.Key); err != nil {
		t.Fatalf("the answered PDF is not stored: %v", err)
	}
	time.Sleep(2 * time.Millisecond)
	pr, err := a.Engine.Purge(ctx, time.Millisecond)
	if err != nil || pr.HubEECases != len(before) {
		t.Fatalf("purge: %+v %v (want %d HubEE cases)", pr, err, len(before))
	}
	after, _ := a.Store.HubEECases()
	for _, c := range after {
		if c.PurgedAt.IsZero() || c.Applicant != (domain.HubApplicant{}) || c.StudentCode != "" || c.StudentName != "" ||
			len(c.Files) != 0 || c.Outcome == domain.HubOutcomePending || c.NeedsPerson {
			t.Errorf("case %s after purge: %+v", c.ExternalID, c)
		}
	}
	if _, err := a.Store.HubEEFile(withFile.CaseID, withFile.Deposit.Key); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("the PDF is still stored after the purge: %v", err)
	}
	if _, err := a.Store.HubEEFile(waiting.CaseID, "case/identite"); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("the file of the case waiting for a person is still stored: %v", err)
	}
	if pr, err := a.Engine.Purge(ctx, time.Millisecond); err != nil || pr.HubEECases != 0 {
		t.Fatalf("second purge: %+v %v", pr, err)
	}
}
