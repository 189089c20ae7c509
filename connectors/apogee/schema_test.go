package apogee

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"

	"hypercerts/connectors/apogee/sim"
)

func TestTablesOf_AttributesColumnsThroughAliases(t *testing.T) {
	raw, err := embeddedQueries.ReadFile("sql/vdis.sql")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	for _, u := range TablesOf(string(raw)) {
		got[u.Table] = u.Columns
	}
	want := map[string][]string{
		"VERSION_DIPLOME":   {"COD_DIP", "COD_VRS_VDI", "DAA_FIN_HAB_VDI", "LIB_WEB_VDI", "TEM_TER_VDI"},
		"CMP_HABILITER_VDI": {"COD_CMP", "COD_DIP", "COD_VRS_VDI", "TEM_EN_SVE_CVD"},
		"DIPLOME":           {"COD_DIP", "COD_NDI"},
		"VDI_NEC_OBT_VDI":   {"COD_DIP_SUP", "COD_VRS_VDI_SUP"},
	}
	for table, cols := range want {
		if !slices.Equal(got[table], cols) {
			t.Errorf("%s: %v, want %v", table, got[table], cols)
		}
	}
	if len(got) != len(want) {
		t.Errorf("tables %v", got)
	}
	sig, _ := embeddedQueries.ReadFile("sql/signature.oracle.sql")
	stamp := false
	for _, u := range TablesOf(string(sig)) {
		if u.Table != "SIGNATAIRE" && u.Table != "SIGN_TAMP_DIGITALISE" {
			t.Errorf("package call or alias read as a table: %s", u.Table)
		}
		if u.Table == "SIGN_TAMP_DIGITALISE" {
			stamp = slices.Contains(u.Columns, "IMG_TAM_STD")
		}
	}
	if !stamp {
		t.Error("the schema probe does not check SIGN_TAMP_DIGITALISE.IMG_TAM_STD (the official stamp)")
	}
}

// TestSchemaProbe_NamesTheFileAndTheMissingColumn: on an embedded Apogée whose
// VERSION_DIPLOME lacks TEM_TER_VDI and without PARCOURS_TYPE, the probe (pragma
// table_info) names vdis.sql and the column, label.sql and the table, the override to
// write, and the web service that gives the parcours type; the other files are sound.
func TestSchemaProbe_NamesTheFileAndTheMissingColumn(t *testing.T) {
	a, err := sim.Open(sim.Options{Seed: 2, Students: 10})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.Close() })
	ctx := context.Background()
	db, err := OpenDB(a.DB(), DialectSQLite, "")
	if err != nil {
		t.Fatal(err)
	}
	reports, err := db.ProbeSchema(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range reports {
		if !r.OK() {
			t.Errorf("the embedded Apogée lacks what %s needs: %+v", r.Name, r.Tables)
		}
	}
	for _, stmt := range []string{`ALTER TABLE VERSION_DIPLOME DROP COLUMN TEM_TER_VDI`, `DROP TABLE PARCOURS_TYPE`} {
		if _, err := a.DB().ExecContext(ctx, stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	if reports, err = db.ProbeSchema(ctx); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	bad := WriteSchemaReport(&out, reports, "/etc/hypercerts/sql")
	text := out.String()
	if bad != 2 {
		t.Errorf("%d files reported faulty, want 2 (vdis.sql, label.sql):\n%s", bad, text)
	}
	for _, want := range []string{
		"✗ vdis.sql", "VERSION_DIPLOME : présentes COD_DIP, COD_VRS_VDI, DAA_FIN_HAB_VDI, LIB_WEB_VDI ; MANQUANTES TEM_TER_VDI",
		"/etc/hypercerts/sql/vdis.sql", "remplacez VERSION_DIPLOME.TEM_TER_VDI",
		"✗ label.sql", "PARCOURS_TYPE : table ou synonyme introuvable", "recupererSE_v3", "codParcoursType",
		"✓ years.sql", "✓ components.sql",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("report lacks %q:\n%s", want, text)
		}
	}
}
