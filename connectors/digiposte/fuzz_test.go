package digiposte

import (
	"strings"
	"testing"
	"time"
)

// FuzzDigiposteReturnFile: a return file of any content gives statuses and problems,
// never a panic; every status read names a student.
func FuzzDigiposteReturnFile(f *testing.F) {
	for _, seed := range []string{
		"\uFEFFnumero ; Statut;DATE;MOTIF\n21000001;OUVERT;2026-11-23;\n21000002;REFUSE;23/11/2026;doublon\n",
		"NUMERO;STATUT\n1;OUVERT\n",
		"CODE;ETAT\n1;OUVERT\n",
		"NUMERO;STATUT\n\"1;OUVERT\n",
		"",
		"NUMERO;STATUT;DATE\n1;;\n;OUVERT;\n2;RESILIE;2026-13-45T99:00\n",
	} {
		f.Add(seed)
	}
	x := &exchange{f: DefaultFormat(), system: "fuzz", now: time.Now, bufSize: 4096}
	f.Fuzz(func(t *testing.T, data string) {
		statuses, _ := x.parseReturn(strings.NewReader(data), "UNIV_RET_001.csv")
		for _, s := range statuses {
			if strings.TrimSpace(s.StudentCode) == "" {
				t.Fatalf("status without a student from %q: %+v", data, s)
			}
		}
	})
}
