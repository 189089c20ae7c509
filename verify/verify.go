// Package verify checks an attestation: its signed token against the university's
// public keys, the PDF's text against what the token states, the PDF's own signature
// (PAdES) when it has one, and revocation. The CLI (`hypercerts verify`) and the
// public verification page both use it.
package verify

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"hypercerts/attest"
	"hypercerts/domain"
	"hypercerts/render"
)

// Verdict is the one-word answer, in French as printed.
type Verdict string

const (
	Authentic  Verdict = "authentique"
	Modified   Verdict = "modifiée"
	Revoked    Verdict = "révoquée"
	UnknownKey Verdict = "clé inconnue"
	Invalid    Verdict = "illisible" // not a token, not a PDF of hypercerts
)

// Exit codes of `hypercerts verify` (docs/verify.md).
const (
	ExitAuthentic  = 0
	ExitModified   = 3
	ExitRevoked    = 4
	ExitUnknownKey = 5
	ExitInvalid    = 6
	// ExitUnchecked: authentic, but revocation could not be checked (no base reachable,
	// or it failed): the check did not fully happen, a script must not take it as 0.
	ExitUnchecked = 7
)

// ExitCode is the command's exit code for the verdict.
func (v Verdict) ExitCode() int {
	switch v {
	case Authentic:
		return ExitAuthentic
	case Modified:
		return ExitModified
	case Revoked:
		return ExitRevoked
	case UnknownKey:
		return ExitUnknownKey
	}
	return ExitInvalid
}

// ExitCode is the command's exit code for the result: the verdict's, or ExitUnchecked
// for an authentic attestation whose revocation was not checked.
func (r Result) ExitCode() int {
	if r.Verdict == Authentic && !r.RevocationChecked {
		return ExitUnchecked
	}
	return r.Verdict.ExitCode()
}

// Result is what a check found.
type Result struct {
	Verdict Verdict
	Claims  attest.Claims // what the token states (when readable)
	KeyID   attest.KeyID
	// Problems say what differs or why the verdict is not "authentique".
	Problems   []string
	Revocation *domain.Revocation
	// RevocationChecked is false when no store was reachable to ask.
	RevocationChecked bool
	// PDFSignature describes the PAdES signature ("" when the PDF has none).
	PDFSignature string
	// PDF is true when a PDF was checked (not a bare token).
	PDF bool
}

// Checker holds what a check needs.
type Checker struct {
	Keys attest.PublicKeys
	// Revoked looks a reference up; nil when no store is reachable.
	Revoked func(ref string) (*domain.Revocation, error)
	// PDFSignature checks a PAdES signature: a description when valid, an error when
	// the signed bytes were changed; (“”, nil) when the PDF is not signed.
	PDFSignature func(pdf []byte) (string, error)
}

// Token checks a token, or a QR code's content (URL).
func (c Checker) Token(s string) Result {
	claims, kid, err := attest.Verify(attest.TokenFrom(s), c.Keys)
	r := Result{Claims: claims, KeyID: kid}
	switch {
	case errors.Is(err, attest.ErrUnknownKey):
		r.Verdict = UnknownKey
		r.Problems = append(r.Problems, fmt.Sprintf("signé par la clé %s, qui n'est pas une clé de l'université", kid))
		return r
	case errors.Is(err, attest.ErrBadSignature):
		r.Verdict = Modified
		r.Problems = append(r.Problems, "la signature du jeton ne correspond pas à son contenu : il a été modifié")
		return r
	case err != nil:
		r.Verdict = Invalid
		r.Problems = append(r.Problems, err.Error())
		return r
	}
	r.Verdict = Authentic
	c.revocation(&r)
	return r
}

// PDF checks an attestation PDF: its token, that its text says what the token states,
// and its PAdES signature when it has one.
func (c Checker) PDF(pdf []byte) Result {
	if !strings.HasPrefix(string(pdf[:min(len(pdf), 8)]), "%PDF-") {
		return Result{Verdict: Invalid, Problems: []string{"ce fichier n'est pas un PDF"}}
	}
	tok, err := render.TokenOf(pdf)
	if err != nil {
		return Result{Verdict: Invalid, Problems: []string{err.Error()}}
	}
	r := c.Token(tok)
	r.PDF = true
	if r.Verdict != Authentic && r.Verdict != Revoked {
		return r
	}
	if c.PDFSignature != nil {
		desc, err := c.PDFSignature(pdf)
		r.PDFSignature = desc
		if err != nil {
			r.Problems = append(r.Problems, "signature électronique du PDF invalide : "+err.Error())
			r.Verdict = worse(r.Verdict, Modified)
		}
	}
	text, err := render.PageText(pdf)
	if err != nil {
		r.Problems = append(r.Problems, "texte du PDF illisible : "+err.Error())
		r.Verdict = worse(r.Verdict, Modified)
		return r
	}
	for _, st := range render.Statements(r.Claims) {
		if !strings.Contains(text, st[1]) {
			r.Problems = append(r.Problems, fmt.Sprintf("%s : le jeton dit « %s », le PDF ne l'imprime pas", st[0], st[1]))
			r.Verdict = worse(r.Verdict, Modified)
		}
	}
	return r
}

// worse keeps a revocation above a modification: both are reported in Problems.
func worse(cur, v Verdict) Verdict {
	if cur == Revoked {
		return cur
	}
	return v
}

func (c Checker) revocation(r *Result) {
	if c.Revoked == nil {
		return
	}
	rev, err := c.Revoked(r.Claims.Reference)
	if err != nil {
		r.Problems = append(r.Problems, "révocation non vérifiée : "+err.Error())
		return
	}
	r.RevocationChecked = true
	if rev != nil {
		r.Revocation = rev
		r.Verdict = Revoked
	}
}

// WriteText prints the result in French for a terminal.
func (r Result) WriteText(w io.Writer) {
	if r.Verdict == Authentic && !r.RevocationChecked { // never "authentique" without the caveat
		fmt.Fprintf(w, "Attestation %s, RÉVOCATION NON VÉRIFIÉE\n", strings.ToUpper(string(r.Verdict)))
	} else {
		fmt.Fprintf(w, "Attestation %s\n", strings.ToUpper(string(r.Verdict)))
	}
	if r.Revocation != nil {
		fmt.Fprintf(w, "  %s\n", r.Revocation)
	}
	for _, p := range r.Problems {
		fmt.Fprintf(w, "  ! %s\n", p)
	}
	if r.Claims.Reference != "" {
		if r.Verdict == Authentic || r.Verdict == Revoked || r.Verdict == Modified {
			fmt.Fprintln(w, "\nCe que l'attestation signée indique :")
		} else {
			fmt.Fprintln(w, "\nCe que le jeton prétend (non vérifié) :")
		}
		for _, f := range r.Claims.Fields() {
			fmt.Fprintf(w, "  %-20s %s\n", f[0], f[1])
		}
		fmt.Fprintf(w, "  %-20s %s\n", "Clé de signature", r.KeyID)
	}
	if r.PDFSignature != "" {
		fmt.Fprintf(w, "  %-20s %s\n", "Signature du PDF", r.PDFSignature)
	} else if r.PDF && (r.Verdict == Authentic || r.Verdict == Revoked) {
		fmt.Fprintf(w, "  %-20s %s\n", "Signature du PDF", "aucune : seul ce que le QR code indique fait foi")
	}
	if !r.RevocationChecked && r.Verdict == Authentic {
		fmt.Fprintln(w, "\nRévocation non vérifiée (base hypercerts inaccessible ou en erreur) : l'université a pu révoquer cette attestation ;"+
			" consultez sa page de vérification (QR code) pour le savoir.")
	}
}
