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
	rep := domain.HubEEReport{NeedsPerson: []domain.HubEECase{
		{CaseID: "c-1", ExternalID: "TD-0001-01", Process: "AttestationReussite", LastError: "HTTP 403 : Unauthorized user"}}}
	var out bytes.Buffer
	WriteHubEEReport(&out, rep)
	if !strings.Contains(out.String(), "À reprendre par un gestionnaire : 1 dossier") || !strings.Contains(out.String(), "TD-0001-01 (c-1) : HTTP 403") {
		t.Fatalf("rapport :\n%s", out.String())
	}
	err := hubeeNeedsPerson(rep)
	if err == nil || !strings.Contains(err.Error(), "TD-0001-01 (c-1)") {
		t.Fatalf("erreur : %v", err)
	}
	if err := hubeeNeedsPerson(domain.HubEEReport{Delivered: 3}); err != nil {
		t.Fatalf("rien à reprendre : %v", err)
	}
}
