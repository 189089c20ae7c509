package sim

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"fmt"
	"io"
	"sort"
	"testing"
	"time"
)

func openSim(t testing.TB, opts Options) *Apogee {
	t.Helper()
	a, err := Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

// digest hashes the content of every table, in a fixed order.
func digest(t *testing.T, db *sql.DB) string {
	t.Helper()
	h := sha256.New()
	tables := []string{"INDIVIDU", "SIM_ANNUAIRE", "INS_ADM_ETP", "RESULTAT_VDI", "IND_SUBIR_BLOCAGE", "SIGN_TAMP_DIGITALISE", "VERSION_DIPLOME"}
	for _, tb := range tables {
		rows, err := db.Query("SELECT * FROM " + tb + " ORDER BY 1, 2, 3")
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(h, "%s%v\n", tb, vals)
		}
		rows.Close()
	}
	return fmt.Sprintf("%x", h.Sum(nil))
}

func TestDatasetIsDeterministic(t *testing.T) {
	a := openSim(t, Options{Seed: 7, Students: 400})
	b := openSim(t, Options{Seed: 7, Students: 400})
	c := openSim(t, Options{Seed: 8, Students: 400})
	da, db, dc := digest(t, a.DB()), digest(t, b.DB()), digest(t, c.DB())
	if da != db {
		t.Fatal("same seed, different data")
	}
	if da == dc {
		t.Fatal("different seeds, same data")
	}
	if fmt.Sprint(a.Cases()) != fmt.Sprint(b.Cases()) {
		t.Fatal("same seed, different cases")
	}
}

func TestDatasetShape(t *testing.T) {
	a := openSim(t, Options{})
	db := a.DB()
	count := func(q string, args ...any) int {
		var n int
		if err := db.QueryRow(q, args...).Scan(&n); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return n
	}
	if n := count("SELECT COUNT(*) FROM INDIVIDU"); n != 1500 {
		t.Errorf("students = %d, want 1500", n)
	}
	if n := count("SELECT COUNT(*) FROM COMPOSANTE"); n < 3 {
		t.Errorf("components = %d", n)
	}
	if n := count("SELECT COUNT(*) FROM VERSION_DIPLOME"); n < 10 {
		t.Errorf("VDIs = %d", n)
	}
	if n := count("SELECT COUNT(*) FROM INDIVIDU WHERE LENGTH(COD_ETU) = 8 AND LENGTH(COD_NNE_IND || COD_CLE_NNE_IND) = 11"); n != 1500 {
		t.Errorf("8-digit codes and 11-char INE: %d of 1500", n)
	}
	if n := count("SELECT COUNT(*) FROM SIM_ANNUAIRE WHERE MAIL IS NULL"); n == 0 || n > 100 {
		t.Errorf("missing e-mails = %d, want a few", n)
	}
	if n := count("SELECT COUNT(*) FROM SIM_ANNUAIRE WHERE MAIL NOT LIKE '%@etu.univ-demo.fr'"); n != 0 {
		t.Errorf("%d e-mails outside etu.univ-demo.fr", n)
	}
	for _, typ := range []string{"EXA", "INS", "IAW", "DIP"} {
		if n := count("SELECT COUNT(*) FROM IND_SUBIR_BLOCAGE i JOIN BLOCAGE b ON b.COD_BLO = i.COD_BLO WHERE b.COD_TYP_BLO = ?", typ); n == 0 {
			t.Errorf("no blocking of type %s", typ)
		}
	}
	for _, m := range []string{"P", "AB", "B", "TB"} {
		if n := count("SELECT COUNT(*) FROM RESULTAT_VDI WHERE COD_MEN = ?", m); n == 0 {
			t.Errorf("no mention %s", m)
		}
	}
	var names []string
	rows, _ := db.Query("SELECT LIB_PR1_IND || ' ' || LIB_NOM_PAT_IND FROM INDIVIDU WHERE LIB_NOM_PAT_IND LIKE '%''%' OR LIB_PR1_IND IN ('Łukasz','Şeyma') LIMIT 5")
	for rows.Next() {
		var s string
		rows.Scan(&s)
		names = append(names, s)
	}
	rows.Close()
	if len(names) == 0 {
		t.Error("no apostrophes or non-Latin-1 names")
	}
	cases := a.Cases()
	keys := make([]string, 0, len(cases))
	for k := range cases {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	t.Logf("cases: %v; names: %v", keys, names)
	for _, k := range keys {
		if _, err := a.CaseCampaign(k); err != nil {
			t.Error(err)
		}
	}
}

func TestSignatureEncryptionRoundTrip(t *testing.T) {
	a := openSim(t, Options{Students: 30})
	var img []byte
	if err := a.DB().QueryRowContext(context.Background(),
		"SELECT "+DecryptFunc+"(IMG_SIG_STD, ?) FROM SIGN_TAMP_DIGITALISE WHERE COD_SIG = ?", SignatureKey, SignerCode).Scan(&img); err != nil {
		t.Fatal(err)
	}
	if len(img) < 8 || string(img[1:4]) != "PNG" {
		t.Fatalf("decrypted image is not a PNG: % x", img[:min(8, len(img))])
	}
	var bad []byte
	a.DB().QueryRow("SELECT "+DecryptFunc+"(IMG_SIG_STD, 'mauvaise') FROM SIGN_TAMP_DIGITALISE WHERE COD_SIG = ?", SignerCode).Scan(&bad)
	if string(bad[1:4]) == "PNG" {
		t.Fatal("wrong key still gives a PNG")
	}
	_ = io.Discard
}

func BenchmarkGenerate100k(b *testing.B) {
	for b.Loop() {
		a, err := Open(Options{Students: 100000})
		if err != nil {
			b.Fatal(err)
		}
		a.Close()
	}
}

// Once a launch has read Apogée, nothing asks it anything while the campaign sends:
// the SQLite connections the reads opened (each with its page cache, SQLite's memory
// outside Go's heap) are closed once idle for maxIdle, not kept for the whole sending.
func TestIdleConnectionsAreClosedAfterTheReads(t *testing.T) {
	t.Parallel()
	a := openSim(t, Options{Students: 50})
	ctx := context.Background()
	conns := make([]*sql.Conn, 4) // four calls at once, as a preview's workers make
	for i := range conns {
		c, err := a.DB().Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		conns[i] = c
	}
	for _, c := range conns {
		var n int
		if err := c.QueryRowContext(ctx, "SELECT COUNT(*) FROM INDIVIDU").Scan(&n); err != nil || n == 0 {
			t.Fatalf("INDIVIDU: %d, %v", n, err)
		}
		c.Close()
	}
	if open := a.DB().Stats().OpenConnections; open != len(conns) {
		t.Fatalf("%d connections open after the reads, want the %d kept idle for the next calls", open, len(conns))
	}
	deadline := time.Now().Add(maxIdle + 10*time.Second) // the pool's cleaner runs every maxIdle
	for a.DB().Stats().OpenConnections > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d connections still open %v after the reads", a.DB().Stats().OpenConnections, maxIdle+10*time.Second)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if s := a.DB().Stats(); s.MaxIdleTimeClosed < int64(len(conns)) {
		t.Errorf("stats %+v: want %d closed for idleness", s, len(conns))
	}
}
