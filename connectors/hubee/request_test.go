package hubee

import (
	"strings"
	"testing"
	"time"

	"hypercerts/domain"
)

// The requester's spelling of a name matches Apogée's whatever the case, accents,
// ligatures, spaces, hyphens and apostrophes (the identity check of an attestation
// request, docs/hubee.md).
func TestSameNameIgnoresCaseAccentsLigaturesAndPunctuation(t *testing.T) {
	var h Hub
	for _, p := range [][2]string{
		{"N'Diaye", "NDIAYE"},
		{"Lætitia", "LAETITIA"},
		{"Œuvray", "oeuvray"},
		{"Le Bœuf-Müller", "LEBOEUFMULLER"},
		{"Hélène", "HELENE"},
		{"1234567890a", "1234567890A"},
	} {
		if !h.SameName(p[0], p[1]) {
			t.Errorf("SameName(%q, %q) = false", p[0], p[1])
		}
	}
	for _, p := range [][2]string{{"Martin", "Martine"}, {"Dupont", ""}, {"Lea", "Leo"}} {
		if h.SameName(p[0], p[1]) {
			t.Errorf("SameName(%q, %q) = true", p[0], p[1])
		}
	}
}

func TestRequestFromPartnerAttributesAndAttachments(t *testing.T) {
	var h Hub
	files := map[string][]byte{
		"case/1": []byte(`<demande><etudiant><codeEtudiant>21000042</codeEtudiant><nom>Dupont</nom></etudiant><annee>2024-2025</annee><vdi>LMATH/201</vdi></demande>`),
		"case/2": []byte(`{"etudiant":{"ine":"1234567890a","dateNaissance":"12/04/2001"},"vdi":"LMATH/201"}`),
	}
	file := func(key string) ([]byte, error) { return files[key], nil }
	attrs := domain.HubEEProcess{Code: "P", Identity: domain.HubEEIdentity{Source: domain.HubEEIdentityPartnerAttributes}}
	r, err := h.Request(attrs, domain.HubEECase{PartnerAttributes: "codeEtudiant=21000042;annee=2024;vdi=LMATH/201"}, file)
	if err != nil || r.StudentCode != "21000042" || r.Year != "2024" || r.VDI.Key() != "LMATH/201" {
		t.Fatalf("partnerAttributes: %+v, %v", r, err)
	}
	pj := domain.HubEEProcess{Code: "P", Identity: domain.HubEEIdentity{Source: domain.HubEEIdentityAttachment, AttachmentName: "*.xml"}}
	rec := domain.HubEECase{Files: []domain.HubEEFile{{FileName: "identite.xml", Key: "case/1"}, {FileName: "id.json", Key: "case/2"}}}
	if r, err = h.Request(pj, rec, file); err != nil || r.StudentCode != "21000042" || r.LastName != "Dupont" || r.Year != "2024" {
		t.Fatalf("XML attachment: %+v, %v", r, err)
	}
	pj.Identity.AttachmentName = "*.json"
	if r, err = h.Request(pj, rec, file); err != nil || r.INE != "1234567890A" || !r.BirthDate.Equal(time.Date(2001, 4, 12, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("JSON attachment: %+v, %v", r, err)
	}
	pj.Identity.AttachmentName = "*.pdf"
	if _, err = h.Request(pj, rec, file); err == nil || !strings.Contains(err.Error(), "aucune pièce jointe d'identité") {
		t.Fatalf("no attachment: %v", err)
	}
	if _, err = h.Request(attrs, domain.HubEECase{PartnerAttributes: "nom=Dupont"}, file); err == nil || !strings.Contains(err.Error(), "ni numéro étudiant") {
		t.Fatalf("no identity: %v", err)
	}
}
