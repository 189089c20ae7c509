// Package attest seals what an attestation states into a compact signed token that
// anyone holding the university's public keys can check offline, and reads it back.
//
// The token is a COSE_Sign1 message (RFC 9052) signed with Ed25519 (EdDSA, alg -8),
// whose payload is the CBOR map of Claims with small integer keys, as the EU digital
// COVID certificate does. It travels base64url-encoded (RFC 4648 §5, no padding) in
// the QR code's URL. docs/verify.md says why this encoding and not a compact JWS.
package attest

import (
	"strings"
	"time"

	"hypercerts/domain"
)

// Claims is what an attestation states, as the token carries it. Dates are
// "2006-01-02"; empty fields are left out of the CBOR map.
type Claims struct {
	Reference string `cbor:"1,keyasint"`
	Name      string `cbor:"2,keyasint"` // "Prénoms NOM" as printed
	BirthDate string `cbor:"3,keyasint,omitempty"`
	Label     string `cbor:"4,keyasint"` // official diploma label (R09)
	Year      string `cbor:"5,keyasint,omitempty"`
	Mention   string `cbor:"6,keyasint,omitempty"`
	ECTS      string `cbor:"7,keyasint,omitempty"`
	Issued    string `cbor:"8,keyasint"`
	Issuer    string `cbor:"9,keyasint"`            // the university
	Student   string `cbor:"10,keyasint,omitempty"` // student number (cod_etu)
}

// Fields lists the claims in reading order with their French names, for the CLI and
// the verification page.
func (c Claims) Fields() [][2]string {
	f := [][2]string{
		{"Référence", c.Reference},
		{"Délivrée par", c.Issuer},
		{"Titulaire", c.Name},
	}
	add := func(name, v string) {
		if v != "" {
			f = append(f, [2]string{name, v})
		}
	}
	add("Numéro étudiant", c.Student)
	add("Date de naissance", frenchDate(c.BirthDate))
	add("Diplôme", c.Label)
	add("Année universitaire", c.Year)
	add("Mention", c.Mention)
	add("Crédits européens", c.ECTS)
	add("Date de délivrance", frenchDate(c.Issued))
	return f
}

// frenchDate writes "2006-01-02" as "02/01/2006" (unchanged if unreadable).
func frenchDate(s string) string {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return s
	}
	return t.Format("02/01/2006")
}

// ClaimsOf gives the claims of an attestation as the renderer prints it: name, label
// and mention are normalised by clean (the renderer's own text cleaning) so the token
// and the page say the same thing.
func ClaimsOf(a domain.Attestation, issuer string, clean func(string) string) Claims {
	s := a.Student
	name := strings.TrimSpace(clean(s.FirstNames()) + " " + strings.ToUpper(clean(s.LastName)))
	c := Claims{
		Reference: a.Reference,
		Name:      name,
		Label:     clean(a.DiplomaLabel),
		Year:      clean(a.YearLabel),
		Mention:   clean(a.Mention.Label),
		ECTS:      clean(a.ECTS),
		Issued:    a.IssuedAt.Format(time.DateOnly),
		Issuer:    clean(issuer),
		Student:   clean(s.Code),
	}
	if c.Mention == "" {
		c.Mention = clean(a.Mention.Code)
	}
	if !s.BirthDate.IsZero() {
		c.BirthDate = s.BirthDate.Format(time.DateOnly)
	}
	return c
}
