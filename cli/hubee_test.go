package cli

import (
	"bytes"
	"strings"
	"testing"

	"hypercerts/domain"
)

// A sync that leaves cases for a person did not fully do its work: `hubee sync` exits 1
// and names them, in the report and in the error.
func TestHubEESyncNamesCasesNeedingAPerson(t *testing.T) {
	t.Parallel()
	rep := domain.HubEEReport{NeedsPerson: []domain.HubEECase{
		{CaseID: "c-1", ExternalID: "TD-0001-01", Process: "AttestationReussite", LastError: "HTTP 403 : Unauthorized user"}}}
	var out bytes.Buffer
	WriteHubEEReport(&out, rep)
	if !strings.Contains(out.String(), "À reprendre par un gestionnaire : 1 dossier") || !strings.Contains(out.String(), "TD-0001-01 (c-1) : HTTP 403") {
		t.Fatalf("rapport :\n%s", out.String())
	}
	err := hubeeIncomplete(rep)
	if err == nil || !strings.Contains(err.Error(), "TD-0001-01 (c-1)") {
		t.Fatalf("erreur : %v", err)
	}
	if err := hubeeIncomplete(domain.HubEEReport{Delivered: 3}); err != nil {
		t.Fatalf("rien à reprendre : %v", err)
	}
}

// A sync with errors on the way (a case put off, a notification not deleted) did not
// fully do its work either: exit 1, with the count and the first error.
func TestHubEESyncWithErrorsIsNotSuccess(t *testing.T) {
	t.Parallel()
	rep := domain.HubEEReport{Delivered: 2, Deferred: 1, Errors: []string{
		"dossier TD-0002-01 : HTTP 503", "notification n-7 : suppression impossible : HTTP 500"}}
	err := hubeeIncomplete(rep)
	if err == nil || exitCode(err) != ExitError || !strings.Contains(err.Error(), "2 erreurs") || !strings.Contains(err.Error(), "TD-0002-01 : HTTP 503") {
		t.Fatalf("erreur : %v", err)
	}
}
