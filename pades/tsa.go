package pades

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"time"

	"github.com/smallstep/pkcs7"

	"hypercerts/domain"
)

// An RFC 3161 time-stamp on the signature makes it PAdES baseline B-T (ETSI EN 319
// 142-1 §6.3, signature-time-stamp): a time-stamping authority (TSA) attests that the
// signature existed at a time, which the signer's own /M cannot prove. The token is
// the signature-time-stamp unsigned attribute of the SignerInfo (RFC 3161 Appendix A:
// its message imprint is the hash of the signature value).

// TSA is a time-stamping authority reached over HTTP (RFC 3161 §3.4).
type TSA struct {
	URL string
	// Client defaults to one with a 15 s timeout.
	Client *http.Client
}

// tsaRoom is the room added to the signature for a token (the TSA's certificate chain
// included, as certReq asks).
const tsaRoom = 8192

var (
	oidTimeStampToken = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 14} // id-aa-signatureTimeStampToken
	oidSHA256         = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}
)

type messageImprint struct {
	HashAlgorithm pkix.AlgorithmIdentifier
	HashedMessage []byte
}

type timeStampReq struct {
	Version        int
	MessageImprint messageImprint
	Nonce          *big.Int `asn1:"optional"`
	CertReq        bool     `asn1:"optional,default:false"`
}

type pkiStatusInfo struct {
	Status       int
	StatusString []asn1.RawValue `asn1:"optional"`
	FailInfo     asn1.BitString  `asn1:"optional"`
}

type timeStampResp struct {
	Status         pkiStatusInfo
	TimeStampToken asn1.RawValue `asn1:"optional"`
}

type tstInfo struct {
	Version        int
	Policy         asn1.ObjectIdentifier
	MessageImprint messageImprint
	SerialNumber   *big.Int
	GenTime        time.Time     `asn1:"generalized"`
	Accuracy       asn1.RawValue `asn1:"optional"`
	Ordering       bool          `asn1:"optional,default:false"`
	Nonce          *big.Int      `asn1:"optional"`
}

// Stamp asks the TSA for a time-stamp token on signature (a SignerInfo's signature
// value) and checks it: granted, signed by the TSA over a TSTInfo whose imprint is the
// SHA-256 of signature and whose nonce is the one sent. It returns the token (a CMS
// ContentInfo) and the time it states. Cancelling ctx ends the request at once (an
// error wrapping ctx's), whatever the client's timeout.
func (t TSA) Stamp(ctx context.Context, signature []byte) ([]byte, time.Time, error) {
	sum := sha256.Sum256(signature)
	nonce, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 63))
	if err != nil {
		return nil, time.Time{}, err
	}
	imprint := messageImprint{HashAlgorithm: pkix.AlgorithmIdentifier{Algorithm: oidSHA256}, HashedMessage: sum[:]}
	req, err := asn1.Marshal(timeStampReq{Version: 1, MessageImprint: imprint, Nonce: nonce, CertReq: true})
	if err != nil {
		return nil, time.Time{}, err
	}
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, t.URL, bytes.NewReader(req))
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("horodatage (%s) : %w", t.URL, err)
	}
	hreq.Header.Set("Content-Type", "application/timestamp-query")
	client := t.Client
	if client == nil {
		client = &http.Client{Timeout: 15 * time.Second}
	}
	resp, err := client.Do(hreq)
	if ctx.Err() != nil {
		return nil, time.Time{}, t.interrupted(ctx)
	}
	if err != nil {
		// Unreachable now, maybe not in a minute: the student is retried (relaunch), not failed for good.
		return nil, time.Time{}, fmt.Errorf("%w : horodatage : autorité injoignable (%s) : %w", domain.ErrTransient, t.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if ctx.Err() != nil {
		return nil, time.Time{}, t.interrupted(ctx)
	}
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("horodatage : réponse de %s illisible : %w", t.URL, err)
	}
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500 {
		return nil, time.Time{}, fmt.Errorf("%w : horodatage : %s a répondu HTTP %d", domain.ErrTransient, t.URL, resp.StatusCode)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, time.Time{}, fmt.Errorf("horodatage : %s a répondu HTTP %d", t.URL, resp.StatusCode)
	}
	var tr timeStampResp
	if rest, err := asn1.Unmarshal(body, &tr); err != nil || len(rest) > 0 {
		return nil, time.Time{}, fmt.Errorf("horodatage : réponse de %s qui n'est pas une réponse RFC 3161", t.URL)
	}
	if s := tr.Status.Status; s != 0 && s != 1 { // granted, grantedWithMods
		return nil, time.Time{}, fmt.Errorf("horodatage refusé par %s (statut %d)", t.URL, s)
	}
	token := tr.TimeStampToken.FullBytes
	at, _, err := checkToken(token, imprint, nonce)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("horodatage de %s : %w", t.URL, err)
	}
	return token, at, nil
}

// interrupted is Stamp's error when ctx ended the request: the caller's context error,
// transient (the authority did nothing wrong; the signature can be asked again).
func (t TSA) interrupted(ctx context.Context) error {
	return fmt.Errorf("%w : horodatage interrompu (%s) : %w", domain.ErrTransient, t.URL, ctx.Err())
}

// checkToken verifies a time-stamp token: signed (by the certificate it carries) over
// a TSTInfo with the expected imprint and, when given, nonce. It returns the time the
// token states and the TSA's name. Whether the TSA is trusted is the reader's
// business, as for the signature itself.
func checkToken(token []byte, want messageImprint, nonce *big.Int) (time.Time, string, error) {
	var zero time.Time
	if len(token) == 0 {
		return zero, "", errors.New("réponse sans jeton d'horodatage")
	}
	p7, err := pkcs7.Parse(token)
	if err != nil {
		return zero, "", fmt.Errorf("jeton illisible : %w", err)
	}
	if err := p7.Verify(); err != nil {
		return zero, "", fmt.Errorf("jeton mal signé : %w", err)
	}
	var info tstInfo
	if _, err := asn1.Unmarshal(p7.Content, &info); err != nil {
		return zero, "", fmt.Errorf("jeton sans TSTInfo lisible : %w", err)
	}
	if !info.MessageImprint.HashAlgorithm.Algorithm.Equal(want.HashAlgorithm.Algorithm) ||
		!bytes.Equal(info.MessageImprint.HashedMessage, want.HashedMessage) {
		return zero, "", errors.New("le jeton horodate autre chose que la signature")
	}
	if nonce != nil && (info.Nonce == nil || info.Nonce.Cmp(nonce) != 0) {
		return zero, "", errors.New("le jeton ne répond pas à cette demande (nonce)")
	}
	name := ""
	if c := p7.GetOnlySigner(); c != nil {
		name = c.Subject.CommonName
	}
	return info.GenTime, name, nil
}

// signatureTimeStamp checks the signature-time-stamp of a parsed signature, if it has
// one: it returns what Verify says of it ("" without one).
func signatureTimeStamp(p7 *pkcs7.PKCS7) (string, error) {
	if len(p7.Signers) != 1 {
		return "", nil
	}
	si := p7.Signers[0]
	for _, a := range si.UnauthenticatedAttributes {
		if !a.Type.Equal(oidTimeStampToken) {
			continue
		}
		sum := sha256.Sum256(si.EncryptedDigest)
		at, name, err := checkToken(a.Value.Bytes, messageImprint{HashAlgorithm: pkix.AlgorithmIdentifier{Algorithm: oidSHA256}, HashedMessage: sum[:]}, nil)
		if err != nil {
			return "", fmt.Errorf("horodatage : %w", err)
		}
		return fmt.Sprintf(", horodatée le %s UTC par « %s »", at.UTC().Format("02/01/2006 à 15:04:05"), name), nil
	}
	return "", nil
}
