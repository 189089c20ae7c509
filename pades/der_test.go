package pades

import (
	"bytes"
	"fmt"
	"testing"
)

// CheckCMSDER is checkCMSDER for the tests of package pades_test.
var CheckCMSDER = checkCMSDER

// checkCMSDER says whether a CMS ContentInfo (SignedData) is DER as the PDF
// specification wants its /Contents (ISO 32000-1 §12.8.3.3): every length definite
// and in the fewest octets (X.690 §10.1, §8.1.3), every SET OF in ascending order of
// its elements' encodings (X.690 §11.6). The sets are the universal SETs (CMS and
// X.509 have SET OF only, no SET) and the IMPLICIT ones of RFC 5652 §5: the
// SignedData's certificates [0] and crls [1], a SignerInfo's signedAttrs [0] and
// unsignedAttrs [1]. It walks the certificates and the time-stamp token too.
func checkCMSDER(der []byte) error {
	rest, err := checkDER(der, "")
	if err == nil && len(rest) > 0 {
		err = fmt.Errorf("%d octets after the ContentInfo", len(rest))
	}
	return err
}

// cmsImplicitSetOf are the paths (the tags from the ContentInfo down) of the IMPLICIT
// SET OFs: ContentInfo, content [0], SignedData, then [0] or [1]; or signerInfos SET,
// SignerInfo, then [0] or [1].
var cmsImplicitSetOf = map[string]bool{
	"\x30\xa0\x30\xa0": true, "\x30\xa0\x30\xa1": true,
	"\x30\xa0\x30\x31\x30\xa0": true, "\x30\xa0\x30\x31\x30\xa1": true,
}

// checkDER checks the element at the start of b, whose parents' tags are path, and
// returns what follows it.
func checkDER(b []byte, path string) ([]byte, error) {
	if len(b) < 2 {
		return nil, fmt.Errorf("at %x: truncated element", path)
	}
	tag := b[0]
	if tag&0x1f == 0x1f {
		return nil, fmt.Errorf("at %x: high tag number form, not used by CMS", path)
	}
	n, hdr := int(b[1]), 2
	switch {
	case n == 0x80:
		return nil, fmt.Errorf("at %x, tag %x: indefinite length", path, tag)
	case n > 0x80:
		k := n & 0x7f
		if k > 4 || len(b) < 2+k {
			return nil, fmt.Errorf("at %x, tag %x: length in %d octets", path, tag, k)
		}
		n, hdr = 0, 2+k
		for _, c := range b[2:hdr] {
			n = n<<8 | int(c)
		}
		if n < 0x80 || b[2] == 0 {
			return nil, fmt.Errorf("at %x, tag %x: length %d not in the fewest octets", path, tag, n)
		}
	}
	if len(b) < hdr+n {
		return nil, fmt.Errorf("at %x, tag %x: length %d, %d octets left", path, tag, n, len(b)-hdr)
	}
	if tag&0x20 == 0 { // primitive
		return b[hdr+n:], nil
	}
	here := path + string([]byte{tag})
	var prev []byte
	for content := b[hdr : hdr+n]; len(content) > 0; {
		rest, err := checkDER(content, here)
		if err != nil {
			return nil, err
		}
		elem := content[:len(content)-len(rest)]
		if (tag == 0x31 || cmsImplicitSetOf[here]) && prev != nil && setOfCompare(prev, elem) > 0 {
			return nil, fmt.Errorf("at %x: SET OF not in ascending order (%x… before %x…)", here, prev[:min(len(prev), 12)], elem[:min(len(elem), 12)])
		}
		prev, content = elem, rest
	}
	return b[hdr+n:], nil
}

// setOfCompare is X.690 §11.6's order, written from its text: the encodings compared
// as octet strings, the shorter padded at its end with zero octets.
func setOfCompare(a, b []byte) int {
	n := max(len(a), len(b))
	pa := append(bytes.Clone(a), make([]byte, n-len(a))...)
	pb := append(bytes.Clone(b), make([]byte, n-len(b))...)
	return bytes.Compare(pa, pb)
}

// checkCMSDER is no rubber stamp: it finds what is BER but not DER.
func TestCheckCMSDERFindsBER(t *testing.T) {
	for name, b := range map[string][]byte{
		"long form for a short length": {0x30, 0x81, 0x03, 0x02, 0x01, 0x01},
		"leading zero length octet":    append([]byte{0x04, 0x82, 0x00, 0x80}, make([]byte, 0x80)...),
		"indefinite length":            {0x30, 0x80, 0x02, 0x01, 0x01, 0x00, 0x00},
		"unsorted SET OF":              {0x31, 0x06, 0x02, 0x01, 0x02, 0x02, 0x01, 0x01},
		"unsorted, unequal lengths":    {0x31, 0x07, 0x04, 0x02, 0x00, 0x01, 0x04, 0x01, 0x00}, // 04 02 00 01 > 04 01 00 00
		"trailing octets":              {0x05, 0x00, 0x00},
	} {
		if err := checkCMSDER(b); err == nil {
			t.Errorf("%s: %x taken for DER", name, b)
		}
	}
	for _, b := range [][]byte{
		{0x31, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x02},
		{0x31, 0x07, 0x04, 0x01, 0x00, 0x04, 0x02, 0x00, 0x01}, // 04 01 00 00 < 04 02 00 01
		append([]byte{0x04, 0x81, 0x80}, make([]byte, 0x80)...),
	} {
		if err := checkCMSDER(b); err != nil {
			t.Errorf("%x: %v", b, err)
		}
	}
}
