package pades

import (
	"bytes"
	"encoding/asn1"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strconv"

	"github.com/smallstep/pkcs7"
)

var (
	byteRangeRe = regexp.MustCompile(`/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]`)
)

// ErrModified says the signed bytes were changed after signing.
var ErrModified = errors.New("le document a été modifié après sa signature")

// Verify checks the PAdES signature of a PDF written by Sign: the CMS signature over
// the byte range, and that the range covers the whole file. It returns a description
// of the signer; ("", nil) when the PDF is not signed. Whether the certificate is
// trusted is the reader's business (pdfsig, Adobe): Verify says who signed.
func Verify(pdf []byte) (string, error) {
	m := byteRangeRe.FindSubmatch(pdf)
	if m == nil {
		return "", nil
	}
	var br [4]int
	for i := range br {
		br[i], _ = strconv.Atoi(string(m[i+1]))
	}
	if br[0] != 0 || br[1] <= 0 || br[2] <= br[1] || br[2]+br[3] > len(pdf) {
		return "", fmt.Errorf("%w (plage signée incohérente)", ErrModified)
	}
	if br[2]+br[3] != len(pdf) {
		return "", fmt.Errorf("%w (%d octets ajoutés après la signature)", ErrModified, len(pdf)-br[2]-br[3])
	}
	// The gap is exactly the /Contents hex string, brackets included.
	hexSig := pdf[br[1]:br[2]]
	if len(hexSig) < 2 || hexSig[0] != '<' || hexSig[len(hexSig)-1] != '>' || !bytes.HasSuffix(bytes.TrimRight(pdf[:br[1]], " \r\n"), []byte("/Contents")) {
		return "", fmt.Errorf("%w (la plage non signée n'est pas la signature)", ErrModified)
	}
	der := make([]byte, hex.DecodedLen(len(hexSig)-2))
	if _, err := hex.Decode(der, hexSig[1:len(hexSig)-1]); err != nil {
		return "", fmt.Errorf("signature illisible : %v", err)
	}
	// The value is zero-padded to the room reserved: keep the DER element only.
	var rv asn1.RawValue
	rest, err := asn1.Unmarshal(der, &rv)
	if err != nil {
		return "", fmt.Errorf("signature illisible : %v", err)
	}
	if !allZero(rest) {
		return "", fmt.Errorf("%w (octets après la signature CMS)", ErrModified)
	}
	p7, err := pkcs7.Parse(der[:len(der)-len(rest)])
	if err != nil {
		return "", fmt.Errorf("signature illisible : %v", err)
	}
	p7.Content = append(append([]byte{}, pdf[:br[1]]...), pdf[br[2]:br[2]+br[3]]...)
	if err := p7.Verify(); err != nil {
		return "", fmt.Errorf("%w (%v)", ErrModified, err)
	}
	signer := p7.GetOnlySigner()
	if signer == nil {
		return "", errors.New("signature sans certificat de signataire")
	}
	stamp, err := signatureTimeStamp(p7)
	if err != nil {
		return "", fmt.Errorf("%w (%v)", ErrModified, err)
	}
	return fmt.Sprintf("PAdES valide, signée par « %s » (certificat émis par « %s »)%s", signer.Subject.CommonName, signer.Issuer.CommonName, stamp), nil
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}
