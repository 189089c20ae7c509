package attest

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// KeyID names a key: the first 8 bytes of SHA-256 of its public key.
type KeyID [8]byte

func (k KeyID) String() string { return hex.EncodeToString(k[:]) }

// ParseKeyID reads the hex form.
func ParseKeyID(s string) (KeyID, error) {
	var k KeyID
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != len(k) {
		return k, fmt.Errorf("identifiant de clé %q : 16 chiffres hexadécimaux attendus", s)
	}
	copy(k[:], b)
	return k, nil
}

// IDOf names a public key.
func IDOf(pub ed25519.PublicKey) KeyID { return idOf(pub) }

func idOf(pub ed25519.PublicKey) KeyID {
	var k KeyID
	sum := sha256.Sum256(pub)
	copy(k[:], sum[:])
	return k
}

// PrivateKey is the university's current signing key.
type PrivateKey struct {
	ID      KeyID
	Private ed25519.PrivateKey
}

// Public is its public half.
func (k *PrivateKey) Public() ed25519.PublicKey { return k.Private.Public().(ed25519.PublicKey) }

// NewKey draws a new Ed25519 key.
func NewKey() (*PrivateKey, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	return &PrivateKey{ID: idOf(pub), Private: priv}, nil
}

// KeyFromSeed rebuilds a key from its 32-byte seed (as stored).
func KeyFromSeed(seed []byte) (*PrivateKey, error) {
	if len(seed) != ed25519.SeedSize {
		return nil, errors.New("clé d'attestation : graine de 32 octets attendue")
	}
	priv := ed25519.NewKeyFromSeed(seed)
	return &PrivateKey{ID: idOf(priv.Public().(ed25519.PublicKey)), Private: priv}, nil
}

// PublicKey is one public key of the university, current or retired. Retired keys stay
// valid for verification: attestations signed before a rotation remain checkable.
type PublicKey struct {
	ID      KeyID
	Key     ed25519.PublicKey
	Created time.Time
	Retired time.Time // zero for the current key
}

// PublicKeys is every key the university ever signed with.
type PublicKeys []PublicKey

// Find returns the key named id.
func (ks PublicKeys) Find(id KeyID) (PublicKey, bool) {
	for _, k := range ks {
		if k.ID == id {
			return k, true
		}
	}
	return PublicKey{}, false
}

// jwk is one key of a JWK Set (RFC 7517, OKP keys of RFC 8037).
type jwk struct {
	Kty     string `json:"kty"`
	Crv     string `json:"crv"`
	Alg     string `json:"alg"`
	Use     string `json:"use"`
	Kid     string `json:"kid"`
	X       string `json:"x"`
	Created string `json:"created,omitempty"`
	Retired string `json:"retired,omitempty"`
}

// JWKS is the public key list as a JSON Web Key Set, served at WellKnownPath.
func (ks PublicKeys) JWKS() ([]byte, error) {
	set := struct {
		Keys []jwk `json:"keys"`
	}{Keys: []jwk{}}
	for _, k := range ks {
		j := jwk{Kty: "OKP", Crv: "Ed25519", Alg: "EdDSA", Use: "sig", Kid: k.ID.String(),
			X: base64.RawURLEncoding.EncodeToString(k.Key), Created: k.Created.UTC().Format(time.RFC3339)}
		if !k.Retired.IsZero() {
			j.Retired = k.Retired.UTC().Format(time.RFC3339)
		}
		set.Keys = append(set.Keys, j)
	}
	return json.MarshalIndent(set, "", "  ")
}

// ParseJWKS reads a key list written by JWKS (or any JWK Set of Ed25519 keys).
func ParseJWKS(data []byte) (PublicKeys, error) {
	var set struct {
		Keys []jwk `json:"keys"`
	}
	if err := json.Unmarshal(data, &set); err != nil {
		return nil, fmt.Errorf("liste de clés : %w", err)
	}
	var ks PublicKeys
	for _, j := range set.Keys {
		if j.Kty != "OKP" || j.Crv != "Ed25519" {
			continue
		}
		x, err := base64.RawURLEncoding.DecodeString(j.X)
		if err != nil || len(x) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("liste de clés : clé %s illisible", j.Kid)
		}
		k := PublicKey{ID: idOf(x), Key: x}
		if j.Kid != "" && j.Kid != k.ID.String() {
			return nil, fmt.Errorf("liste de clés : l'identifiant %s ne correspond pas à la clé", j.Kid)
		}
		k.Created, _ = time.Parse(time.RFC3339, j.Created)
		k.Retired, _ = time.Parse(time.RFC3339, j.Retired)
		ks = append(ks, k)
	}
	return ks, nil
}

// WellKnownPath is where the verification endpoint serves the public keys.
const WellKnownPath = "/.well-known/hypercerts-keys.json"
