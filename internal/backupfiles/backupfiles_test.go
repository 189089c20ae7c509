package backupfiles

import (
	"archive/tar"
	"bytes"
	"path/filepath"
	"strings"
	"testing"
)

// TestExtract_RefusesEscapingNames: a forged backup cannot write outside the folder
// nor plant a link.
func TestExtract_RefusesEscapingNames(t *testing.T) {
	for _, h := range []tar.Header{
		{Name: "../x/y", Typeflag: tar.TypeReg},
		{Name: "/etc/x", Typeflag: tar.TypeReg},
		{Name: "a/../../b", Typeflag: tar.TypeReg},
		{Name: "a/b/c", Typeflag: tar.TypeReg},
		{Name: "a/l", Typeflag: tar.TypeSymlink, Linkname: "/etc/passwd"},
	} {
		var buf bytes.Buffer
		tw := tar.NewWriter(&buf)
		tw.WriteHeader(&h)
		tw.Close()
		_, err := Extract(&buf, filepath.Join(t.TempDir(), "out"))
		if err == nil || !strings.Contains(err.Error(), "refusée") {
			t.Errorf("%q: %v", h.Name, err)
		}
	}
}

// TestSplit_DamagedTrailer: a trailer pointing past the file is refused, a file without
// trailer is all base.
func TestSplit_DamagedTrailer(t *testing.T) {
	b := append(bytes.Repeat([]byte{1}, 100), []byte("\xff\xff\xff\xff\xff\xff\xff\xff"+Magic)...)
	if _, _, err := Split(bytes.NewReader(b), int64(len(b))); err == nil {
		t.Error("damaged trailer accepted")
	}
	plain := bytes.Repeat([]byte{1}, 100)
	if n, f, err := Split(bytes.NewReader(plain), 100); n != 100 || f != nil || err != nil {
		t.Errorf("plain: %d %v %v", n, f, err)
	}
}
