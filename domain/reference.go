package domain

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"strings"
	"time"
)

// An attestation reference is ten Crockford base-32 characters (50 bits) and one check
// character, printed in groups: "7K3M-9QX2-PA4". Crockford's alphabet has no I, L, O or
// U, so nothing reads as another letter; on input I and L read as 1 and O as 0.
//
// The check character is Damm's algorithm over GF(32) (x∘y = 2x + y, a totally
// anti-symmetric quasigroup): it catches every single wrong character and every swap of
// two different neighbours, the usual typing mistakes. (Luhn mod 32 misses the swap of
// 0 and Z.)
//
// A reference is derived, not drawn: the same campaign and student (or the same single
// attestation) always give the same one, so a relaunch or a crash before the entry was
// stored cannot give one attestation two references.

const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// refDataLen is the number of data characters before the check character.
const refDataLen = 10

// CampaignReference is the reference of the attestation a campaign gives a student.
func CampaignReference(campaignID, studentCode string) string {
	return newReference("campaign", campaignID, studentCode)
}

// SingleReference is the reference of an attestation produced on its own (the render
// command, a HubEE request): the student, diploma, year and day of issue.
func SingleReference(year string, vdi VDI, studentCode string, issued time.Time) string {
	return newReference("single", year, vdi.Key(), studentCode, issued.Format(time.DateOnly))
}

func newReference(parts ...string) string {
	sum := sha256.Sum256([]byte("hypercerts attestation reference\x00" + strings.Join(parts, "\x00")))
	v := binary.BigEndian.Uint64(sum[:8]) >> (64 - 5*refDataLen)
	var b [refDataLen + 1]byte
	for i := refDataLen - 1; i >= 0; i-- {
		b[i] = crockford[v&31]
		v >>= 5
	}
	b[refDataLen] = crockford[damm32(b[:refDataLen])]
	return formatReference(string(b[:]))
}

// formatReference groups the 11 characters 4-4-3.
func formatReference(s string) string { return s[:4] + "-" + s[4:8] + "-" + s[8:] }

// damm32 is the check value of data (Crockford characters): the interim value of
// Damm's algorithm, which the check character brings back to zero.
func damm32(data []byte) int {
	interim := 0
	for _, c := range data {
		interim = gf32Double(interim) ^ strings.IndexByte(crockford, c)
	}
	return gf32Double(interim)
}

// gf32Double multiplies by 2 in GF(32) = GF(2)[x]/(x⁵+x²+1).
func gf32Double(v int) int {
	v <<= 1
	if v&32 != 0 {
		v ^= 0b100101
	}
	return v
}

// ParseReference reads a reference as a person may type it (lower case, spaces or no
// dashes, O for 0, I or L for 1) and returns it in its printed form. A wrong check
// character is an ErrInvalid error.
func ParseReference(s string) (string, error) {
	var b []byte
	for _, r := range strings.ToUpper(strings.TrimSpace(s)) {
		switch {
		case r == '-' || r == ' ':
			continue
		case r == 'O':
			r = '0'
		case r == 'I' || r == 'L':
			r = '1'
		}
		if r > 0x7f || strings.IndexByte(crockford, byte(r)) < 0 {
			return "", Invalid("référence %q : caractère « %c » impossible", s, r)
		}
		b = append(b, byte(r))
	}
	if len(b) != refDataLen+1 {
		return "", Invalid("référence %q : %d caractères attendus (par exemple 7K3M-9QX2-PA4)", s, refDataLen+1)
	}
	if crockford[damm32(b[:refDataLen])] != b[refDataLen] {
		return "", Invalid("référence %q : caractère de contrôle faux (faute de frappe ?)", s)
	}
	return formatReference(string(b)), nil
}

// Revocation says that an attestation must no longer be trusted.
type Revocation struct {
	Reference string
	At        time.Time
	By        string // COD_UTI of the manager
	Reason    string
	// CampaignID and StudentCode say which attestation it was ("" for a single one).
	CampaignID  string
	StudentCode string
	// Repeated is set (never stored) when RevokeAttestation was asked again what was
	// done already: nothing changed.
	Repeated bool `json:"-"`
}

// String is the French one-line form.
func (r Revocation) String() string {
	return fmt.Sprintf("révoquée le %s par %s : %s", r.At.Format("02/01/2006 15:04"), r.By, r.Reason)
}
