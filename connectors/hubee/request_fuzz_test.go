package hubee

import "testing"

// FuzzHubEEPartnerAttributes: the requester's partnerAttributes (JSON or key=value)
// are parsed without panic, whatever the OSL sends; a JSON answer is an object.
func FuzzHubEEPartnerAttributes(f *testing.F) {
	for _, seed := range []string{
		`{"etudiant":{"ine":"1234567890A","nom":"DUPONT","dateNaissance":"2001-05-04"}}`,
		`ine=1234567890A;nom=Dupont&prenom=Zoé`,
		"ine:1234567890A\nnaissance:04/05/2001",
		`{"a":[1,2,{"b":null}],"c":1e309}`,
		`[1,2]`,
		`{`,
		``,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := parseAttributes(s)
		if err == nil && m == nil {
			t.Fatalf("nil map without error for %q", s)
		}
		for _, v := range m {
			_, _ = parseBirthDate(v)
		}
	})
}
