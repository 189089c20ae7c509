package attest

import (
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/fxamacker/cbor/v2"
	"github.com/veraison/go-cose"
)

// Verification failures. Every error of Verify wraps one of them.
var (
	// ErrMalformed: not a token (truncated, not base64url, not COSE_Sign1, bad claims).
	ErrMalformed = errors.New("jeton illisible")
	// ErrUnknownKey: signed with a key that is not among the university's public keys.
	ErrUnknownKey = errors.New("clé inconnue")
	// ErrBadSignature: the signature does not match: the token was changed.
	ErrBadSignature = errors.New("signature invalide")
)

// PathPrefix is where, under verify.public_url, a token is checked: URL/a/TOKEN.
const PathPrefix = "/a/"

// MaxToken bounds what Parse accepts (a token is ~400 characters): whatever a
// stranger sends is decoded from at most 3 KiB of CBOR.
const MaxToken = 4096

var claimsEnc = func() cbor.EncMode {
	m, err := cbor.CoreDetEncOptions().EncMode() // deterministic: same claims, same bytes
	if err != nil {
		panic(err)
	}
	return m
}()

var claimsDec = func() cbor.DecMode {
	m, err := cbor.DecOptions{DupMapKey: cbor.DupMapKeyEnforcedAPF, MaxNestedLevels: 4}.DecMode()
	if err != nil {
		panic(err)
	}
	return m
}()

// Sign seals c with key and returns the base64url token.
func Sign(key *PrivateKey, c Claims) (string, error) {
	// CBOR text must be UTF-8 (RFC 8949 §3.1), and Parse refuses what is not: a token
	// signed with a broken string could never be verified.
	for _, f := range []string{c.Reference, c.Name, c.BirthDate, c.Label, c.Year, c.Mention, c.ECTS, c.Issued, c.Issuer, c.Student} {
		if !utf8.ValidString(f) {
			return "", fmt.Errorf("jeton : texte %q qui n'est pas de l'UTF-8", f)
		}
	}
	payload, err := claimsEnc.Marshal(c)
	if err != nil {
		return "", err
	}
	signer, err := cose.NewSigner(cose.AlgorithmEdDSA, key.Private)
	if err != nil {
		return "", err
	}
	msg := cose.Sign1Message{
		Headers: cose.Headers{
			Protected:   cose.ProtectedHeader{cose.HeaderLabelAlgorithm: cose.AlgorithmEdDSA},
			Unprotected: cose.UnprotectedHeader{cose.HeaderLabelKeyID: key.ID[:]},
		},
		Payload: payload,
	}
	// Ed25519 is deterministic: no randomness is read.
	if err := msg.Sign(nil, nil, signer); err != nil {
		return "", err
	}
	raw, err := msg.MarshalCBOR()
	if err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(raw), nil
}

// Parse reads a token without checking it: its claims and key id. Verify checks.
func Parse(token string) (Claims, KeyID, *cose.Sign1Message, error) {
	var kid KeyID
	token = strings.TrimSpace(token)
	if len(token) > MaxToken {
		return Claims{}, kid, nil, fmt.Errorf("%w : trop long", ErrMalformed)
	}
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return Claims{}, kid, nil, fmt.Errorf("%w : pas du base64url", ErrMalformed)
	}
	var msg cose.Sign1Message
	if err := msg.UnmarshalCBOR(raw); err != nil {
		return Claims{}, kid, nil, fmt.Errorf("%w : pas un message COSE_Sign1 lisible (%v)", ErrMalformed, err)
	}
	alg, err := msg.Headers.Protected.Algorithm()
	if err != nil || alg != cose.AlgorithmEdDSA {
		return Claims{}, kid, nil, fmt.Errorf("%w : algorithme autre qu'EdDSA", ErrMalformed)
	}
	id, _ := msg.Headers.Unprotected[cose.HeaderLabelKeyID].([]byte)
	if len(id) != len(kid) {
		return Claims{}, kid, nil, fmt.Errorf("%w : identifiant de clé absent", ErrMalformed)
	}
	copy(kid[:], id)
	var c Claims
	if err := claimsDec.Unmarshal(msg.Payload, &c); err != nil {
		return Claims{}, kid, nil, fmt.Errorf("%w : contenu non conforme (%v)", ErrMalformed, err)
	}
	if c.Reference == "" || c.Name == "" || c.Label == "" || c.Issued == "" {
		return Claims{}, kid, nil, fmt.Errorf("%w : référence, nom, diplôme ou date absents", ErrMalformed)
	}
	return c, kid, &msg, nil
}

// Verify checks token against the public keys and returns what it states.
func Verify(token string, keys PublicKeys) (Claims, KeyID, error) {
	c, kid, msg, err := Parse(token)
	if err != nil {
		return Claims{}, kid, err
	}
	pub, ok := keys.Find(kid)
	if !ok {
		return c, kid, fmt.Errorf("%w : %s", ErrUnknownKey, kid)
	}
	v, err := cose.NewVerifier(cose.AlgorithmEdDSA, ed25519.PublicKey(pub.Key))
	if err != nil {
		return c, kid, err
	}
	if err := msg.Verify(nil, v); err != nil {
		return c, kid, fmt.Errorf("%w (clé %s)", ErrBadSignature, kid)
	}
	return c, kid, nil
}

// URL is what the QR code carries: base + "/a/" + token.
func URL(base, token string) string {
	return strings.TrimRight(base, "/") + PathPrefix + token
}

// TokenFrom takes what a person or a scanner hands over (the bare token, the QR code's
// URL, with or without scheme) and returns the token.
func TokenFrom(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndex(s, PathPrefix); i >= 0 { // base64url has no "/"
		s = s[i+len(PathPrefix):]
		if j := strings.IndexAny(s, "?#/"); j >= 0 {
			s = s[:j]
		}
		if u, err := url.PathUnescape(s); err == nil {
			s = u
		}
	}
	return s
}
