package sim

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"fmt"
	"io"
	"sort"
	"strings"
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
	tables := []string{"INDIVIDU", "SIM_ANNUAIRE", "INS_ADM_ETP", "RESULTAT_VDI", "GRP_RESULTAT_VDI", "IND_SUBIR_BLOCAGE", "SIGN_TAMP_DIGITALISE", "VERSION_DIPLOME"}
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

// R10: the deliberation state is the result group's, as in Apogée. ETA_AVC_VDI is a
// NOT NULL column of GRP_RESULTAT_VDI, keyed by VDI version, year, session and
// admission, and not a column of RESULTAT_VDI: SQL reading res.eta_avc_vdi (the first
// years.sql did) is refused by the embedded Apogée as by a real one.
func TestR10_DeliberationStateIsPerResultGroup(t *testing.T) {
	a := openSim(t, Options{Students: 600})
	db := a.DB()
	_, err := db.Exec("SELECT res.eta_avc_vdi FROM resultat_vdi res WHERE res.cod_anu = '2024'")
	if err == nil || !strings.Contains(err.Error(), "no such column: res.eta_avc_vdi") {
		t.Fatalf("RESULTAT_VDI.ETA_AVC_VDI read: err = %v, want no such column", err)
	}
	count := func(q string, args ...any) int {
		t.Helper()
		var n int
		if err := db.QueryRow(q, args...).Scan(&n); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return n
	}
	const on = "g.cod_dip = r.cod_dip AND g.cod_vrs_vdi = r.cod_vrs_vdi AND g.cod_anu = r.cod_anu AND g.cod_ses = r.cod_ses AND g.cod_adm = r.cod_adm"
	const join = " FROM resultat_vdi r JOIN grp_resultat_vdi g ON " + on
	if all, grouped := count("SELECT COUNT(*) FROM resultat_vdi"), count("SELECT COUNT(*)"+join); all == 0 || all != grouped {
		t.Errorf("%d results, %d in a result group: every result belongs to one", all, grouped)
	}
	if n := count("SELECT COUNT(*) FROM grp_resultat_vdi g WHERE NOT EXISTS (SELECT 1 FROM resultat_vdi r WHERE " + on + ")"); n != 0 {
		t.Errorf("%d result groups without a result", n)
	}
	// One group is pending, as a whole: every student in it, none outside it.
	stateOf := func(etu string) string {
		t.Helper()
		var st string
		if err := db.QueryRow("SELECT DISTINCT g.eta_avc_vdi"+join+" JOIN individu i ON i.cod_ind = r.cod_ind WHERE i.cod_etu = ?", etu).Scan(&st); err != nil {
			t.Fatalf("state of %s: %v", etu, err)
		}
		return st
	}
	cases := a.Cases()
	if st := stateOf(cases["deliberation_pending"]); st != "E" {
		t.Errorf("deliberation_pending: state %q, want E", st)
	}
	if st := stateOf(cases["admitted"]); st != "T" {
		t.Errorf("admitted: state %q, want T", st)
	}
	if n := count("SELECT COUNT(*) FROM grp_resultat_vdi WHERE eta_avc_vdi = 'E'"); n != 1 {
		t.Errorf("%d pending groups, want 1", n)
	}
	if n := count("SELECT COUNT(DISTINCT r.cod_ind)" + join + " WHERE g.eta_avc_vdi = 'E'"); n < 5 {
		t.Errorf("%d students in the pending group, want several", n)
	}
	if n := count("SELECT COUNT(*) FROM resultat_vdi WHERE cod_dip = ? AND cod_anu = ? AND cod_ses > ?", pendingGroup.dip, pendingGroup.anu, pendingGroup.ses); n != 0 {
		t.Errorf("%d results of a session after the pending one", n)
	}
	// NOT NULL as in Apogée, key included.
	for _, ins := range []string{
		"INSERT INTO grp_resultat_vdi (cod_dip, cod_vrs_vdi, cod_anu, cod_ses, cod_adm, eta_avc_vdi, tem_ini_tab_res_vdi, tem_trt_rpt_gvi) VALUES ('LMATH', 201, '2025', '1', '1', NULL, 'N', 'N')",
		"INSERT INTO grp_resultat_vdi (cod_dip, cod_vrs_vdi, cod_anu, cod_ses, cod_adm, eta_avc_vdi, tem_ini_tab_res_vdi, tem_trt_rpt_gvi) VALUES ('LMATH', 201, '2025', NULL, '1', 'T', 'N', 'N')",
	} {
		if _, err := db.Exec(ins); err == nil || !strings.Contains(err.Error(), "NOT NULL") {
			t.Errorf("%s: err = %v, want NOT NULL", ins, err)
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

// Oracle refuses NULL in any primary-key column; SQLite accepts it in a composite or
// non-INTEGER key unless the column says NOT NULL. Every key column of the embedded
// Apogée does, so a generator or a test inserting a NULL key fails here as it would
// against a real Apogée, and a row a real Apogée cannot hold never reaches a query.
func TestPrimaryKeyColumnsRefuseNull(t *testing.T) {
	a := openSim(t, Options{Students: 60})
	db := a.DB()
	rows, err := db.Query("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, name)
	}
	rows.Close()
	keys := 0
	for _, table := range tables {
		cols, err := db.Query("SELECT name, \"notnull\", pk FROM pragma_table_info(?)", table)
		if err != nil {
			t.Fatal(err)
		}
		for cols.Next() {
			var name string
			var notNull, pk int
			if err := cols.Scan(&name, &notNull, &pk); err != nil {
				t.Fatal(err)
			}
			if pk > 0 {
				keys++
				if notNull == 0 {
					t.Errorf("%s.%s is in the primary key but accepts NULL", table, name)
				}
			}
		}
		cols.Close()
	}
	if keys < 20 {
		t.Fatalf("only %d primary-key columns found in %d tables", keys, len(tables))
	}
	if _, err := db.Exec("INSERT INTO resultat_vdi (cod_ind, cod_dip, cod_vrs_vdi, cod_anu, cod_ses, cod_adm, tem_dlv_aut_vdi) VALUES (1, 'X', 1, '2024', NULL, '1', 'O')"); err == nil || !strings.Contains(err.Error(), "NOT NULL") {
		t.Errorf("a result without session was stored (%v)", err)
	}
}
