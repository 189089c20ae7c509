package apogee

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"hypercerts/connectors/apogee/sim"
	"hypercerts/domain"

	_ "github.com/sijms/go-ora/v2"
)

var (
	simOnce sync.Once
	simApo  *sim.Apogee
	simErr  error
)

// sharedSim is one embedded Apogée for the SQL tests (read-only use).
func sharedSim(t *testing.T) *sim.Apogee {
	t.Helper()
	simOnce.Do(func() { simApo, simErr = sim.Open(sim.Options{Seed: 1, Students: 600}) })
	if simErr != nil {
		t.Fatal(simErr)
	}
	return simApo
}

func TestMain(m *testing.M) {
	code := m.Run()
	if simApo != nil {
		simApo.Close()
	}
	os.Exit(code)
}

func openTestDB(t *testing.T, dir string) *DB {
	t.Helper()
	d, err := OpenDB(sharedSim(t).DB(), DialectSQLite, dir)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func indOf(t *testing.T, a *sim.Apogee, etu string) string {
	t.Helper()
	var ind string
	if err := a.DB().QueryRow("SELECT COD_IND FROM INDIVIDU WHERE COD_ETU = ?", etu).Scan(&ind); err != nil {
		t.Fatal(err)
	}
	return ind
}

func TestCheck_EmbeddedQueriesPass(t *testing.T) {
	if err := openTestDB(t, "").Check(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestCheck_ReportsBrokenOverrideByFileName(t *testing.T) {
	dir := t.TempDir()
	// A syntax error in one file, wrong columns in another.
	os.WriteFile(filepath.Join(dir, "vdis.sql"), []byte("SELECT cod_dip FROM version_diplome WHERE cod_dip = :cmp AND"), 0o600)
	os.WriteFile(filepath.Join(dir, "years.sql"), []byte("-- site version\nSELECT cod_anu, lib_anu FROM annee_uni;"), 0o600)
	err := openTestDB(t, dir).Check(context.Background())
	if err == nil {
		t.Fatal("Check accepted broken queries")
	}
	if !errors.Is(err, domain.ErrPermanent) {
		t.Errorf("Check error is not permanent: %v", err)
	}
	for _, want := range []string{filepath.Join(dir, "vdis.sql"), filepath.Join(dir, "years.sql"), "COD_ANU, LIB_ANU"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Check error does not name %q:\n%v", want, err)
		}
	}
	if strings.Contains(err.Error(), "components.sql") {
		t.Errorf("Check blames a good file: %v", err)
	}
}

// R10: the deliberation state is GRP_RESULTAT_VDI's (per VDI version, year, session,
// admission), not RESULTAT_VDI's. An override of years.sql reading res.eta_avc_vdi, as
// the first version of the query did, is refused at start-up, naming the file and the
// column, as a real Apogée would refuse it; one joining GRP_RESULTAT_VDI on its key
// works, and says 2024 is deliberated.
func TestR10_DeliberationStateReadFromResultGroupsOnly(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	years := filepath.Join(dir, "years.sql")
	os.WriteFile(years, []byte(`SELECT anu.cod_anu,
       CASE WHEN EXISTS (SELECT 1 FROM resultat_vdi res WHERE res.cod_anu = anu.cod_anu AND res.cod_adm = '1'
                            AND res.eta_avc_vdi = 'T') THEN 'O' ELSE 'N' END AS tem_res_dlb
  FROM annee_uni anu WHERE anu.eta_anu_iae = 'O' ORDER BY anu.cod_anu DESC`), 0o600)
	err := openTestDB(t, dir).Check(ctx)
	if err == nil || !errors.Is(err, domain.ErrPermanent) || !strings.Contains(err.Error(), years) || !strings.Contains(err.Error(), "eta_avc_vdi") {
		t.Fatalf("res.eta_avc_vdi: Check err = %v, want a permanent error naming %s and the column", err, years)
	}
	os.WriteFile(years, []byte(`SELECT anu.cod_anu,
       CASE WHEN EXISTS (SELECT 1 FROM resultat_vdi res, grp_resultat_vdi grp
                          WHERE res.cod_anu = anu.cod_anu AND res.cod_adm = '1' AND res.cod_tre IS NOT NULL
                            AND grp.cod_dip = res.cod_dip AND grp.cod_vrs_vdi = res.cod_vrs_vdi AND grp.cod_anu = res.cod_anu
                            AND grp.cod_ses = res.cod_ses AND grp.cod_adm = res.cod_adm AND grp.eta_avc_vdi = 'T')
            THEN 'O' ELSE 'N' END AS tem_res_dlb
  FROM annee_uni anu WHERE anu.eta_anu_iae = 'O' ORDER BY anu.cod_anu DESC`), 0o600)
	d := openTestDB(t, dir)
	if err := d.Check(ctx); err != nil {
		t.Fatal(err)
	}
	got, err := d.OpenYears(ctx)
	if err != nil || len(got) != 2 || got[0].Deliberated || !got[1].Deliberated {
		t.Fatalf("years = %+v, %v; want 2025 not deliberated, 2024 deliberated", got, err)
	}
}

func TestOverride_SiteFileTakesPrecedence(t *testing.T) {
	dir := t.TempDir()
	// A site that only offers years from 2025 on.
	os.WriteFile(filepath.Join(dir, "years.sql"), []byte("SELECT cod_anu, 'N' AS tem_res_dlb FROM annee_uni WHERE eta_anu_iae = 'O' AND cod_anu >= '2025' ORDER BY cod_anu DESC"), 0o600)
	d := openTestDB(t, dir)
	if err := d.Check(context.Background()); err != nil {
		t.Fatal(err)
	}
	years, err := d.OpenYears(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(years) != 1 || years[0].Code != "2025" {
		t.Fatalf("override not used: %v", years)
	}
}

// R03: TEM_RES_DLB is an Apogée flag, 'O' or 'N'; a site override answering another
// value (or NULL) is refused, naming the file, rather than read as "not deliberated".
func TestR03_OpenYearsRefusesAFlagOtherThanON(t *testing.T) {
	for _, v := range []string{"'Y'", "1", "NULL"} {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "years.sql"), []byte("SELECT cod_anu, "+v+" AS tem_res_dlb FROM annee_uni WHERE eta_anu_iae = 'O' ORDER BY cod_anu DESC"), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := openTestDB(t, dir).OpenYears(context.Background())
		if err == nil || !errors.Is(err, domain.ErrPermanent) || !strings.Contains(err.Error(), "years.sql") || !strings.Contains(err.Error(), "attendu 'O' ou 'N'") {
			t.Errorf("TEM_RES_DLB %s: err = %v, want a permanent error naming years.sql", v, err)
		}
	}
}

func TestOpenDB_UnknownDialect(t *testing.T) {
	if _, err := OpenDB(sharedSim(t).DB(), "postgres", ""); err == nil || !strings.Contains(err.Error(), "postgres") {
		t.Fatalf("err = %v", err)
	}
}

func TestR03_OpenYearsNewestFirst(t *testing.T) {
	years, err := openTestDB(t, "").OpenYears(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(years) != 2 || years[0].Code != "2025" || years[1].Code != "2024" || years[0].Label != "2025-2026" {
		t.Fatalf("years = %+v", years)
	}
}

// R03 + R10/R11: each open year says whether Apogée holds deliberated admission results
// for it, from RESULTAT_VDI and GRP_RESULTAT_VDI, not from the calendar (issue 16 item
// 15). The embedded Apogée has results for 2024 only; the rows added here prove each
// condition of years.sql: a result of 2025 counts only when it is an admission result
// (COD_ADM 1) with a result type, and its result group's deliberation is over ('T',
// R10): a jury still sitting ('E') does not make the year deliberated.
func TestR03_OpenYearsSayWhichHaveDeliberatedResults(t *testing.T) {
	a, err := sim.Open(sim.Options{Seed: 1, Students: 60})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	d, err := OpenDB(a.DB(), DialectSQLite, "")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	delib := func() map[string]bool {
		t.Helper()
		years, err := d.OpenYears(ctx)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]bool{}
		for _, y := range years {
			out[y.Code] = y.Deliberated
		}
		return out
	}
	if got := delib(); !got["2024"] || got["2025"] || len(got) != 2 {
		t.Fatalf("deliberated = %v, want 2024 only", got)
	}
	var ind, dip, vrs string
	if err := a.DB().QueryRow("SELECT cod_ind, cod_dip, cod_vrs_vdi FROM resultat_vdi WHERE cod_anu = '2024' LIMIT 1").Scan(&ind, &dip, &vrs); err != nil {
		t.Fatal(err)
	}
	ins := func(ses, adm, tre string) {
		t.Helper()
		var treV any
		if tre != "" {
			treV = tre
		}
		if _, err := a.DB().Exec(`INSERT INTO resultat_vdi (cod_ind, cod_dip, cod_vrs_vdi, cod_anu, cod_ses, cod_adm, cod_tre, tem_dlv_aut_vdi)
VALUES (?, ?, ?, '2025', ?, ?, ?, 'O')`, ind, dip, vrs, ses, adm, treV); err != nil {
			t.Fatal(err)
		}
	}
	ins("1", "0", "ADM") // not an admission result (R11)
	ins("2", "1", "")    // no result type: no verdict (R12)
	if got := delib(); got["2025"] {
		t.Fatal("2025 counted as deliberated without a deliberated admission result")
	}
	ins("0", "1", "AJ") // an admission result with a verdict, even unfavourable…
	group := func(state string) {
		t.Helper()
		if _, err := a.DB().Exec(`INSERT INTO grp_resultat_vdi (cod_dip, cod_vrs_vdi, cod_anu, cod_ses, cod_adm, eta_avc_vdi, tem_ini_tab_res_vdi, tem_trt_rpt_gvi)
VALUES (?, ?, '2025', '0', '1', ?, 'N', 'N')
ON CONFLICT (cod_dip, cod_vrs_vdi, cod_anu, cod_ses, cod_adm) DO UPDATE SET eta_avc_vdi = excluded.eta_avc_vdi`, dip, vrs, state); err != nil {
			t.Fatal(err)
		}
	}
	group("E") // …whose jury is still sitting
	if got := delib(); got["2025"] {
		t.Fatal("2025 counted as deliberated while its result group's deliberation is in progress (R10)")
	}
	group("T")
	if got := delib(); !got["2025"] || !got["2024"] {
		t.Fatalf("deliberated = %v, want 2024 and 2025", got)
	}
}

func TestR02_ComponentsOfManager(t *testing.T) {
	d := openTestDB(t, "")
	ctx := context.Background()
	cmps, err := d.Components(ctx, sim.DemoUser)
	if err != nil {
		t.Fatal(err)
	}
	var codes []string
	for _, c := range cmps {
		codes = append(codes, c.Code)
		if c.Label == "" {
			t.Errorf("component %s without label", c.Code)
		}
	}
	if strings.Join(codes, ",") != "DEG,LLS,SCI" {
		t.Fatalf("components of %s = %v", sim.DemoUser, codes)
	}
	iut, err := d.Components(ctx, sim.IUTUser)
	if err != nil || len(iut) != 1 || iut[0].Code != "IUT" {
		t.Fatalf("components of %s = %v, %v", sim.IUTUser, iut, err)
	}
}

func TestR02_NoTRAREF10InDomainREMeansNoComponent(t *testing.T) {
	d := openTestDB(t, "")
	for _, u := range []string{sim.NoRightsUser, "inconnu"} {
		cmps, err := d.Components(context.Background(), u)
		if err != nil {
			t.Fatal(err)
		}
		if len(cmps) != 0 {
			t.Errorf("%s has components %v", u, cmps)
		}
	}
}

func TestR17b_UserEmail(t *testing.T) {
	d := openTestDB(t, "")
	u, err := d.User(context.Background(), sim.DemoUser)
	if err != nil {
		t.Fatal(err)
	}
	if u.Email == "" || u.Name == "" || u.Code != sim.DemoUser {
		t.Fatalf("user = %+v", u)
	}
	if _, err := d.User(context.Background(), "inconnu"); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("unknown user: %v", err)
	}
}

func TestR04_VDIsOfferedForComponentAndYear(t *testing.T) {
	d := openTestDB(t, "")
	ctx := context.Background()
	vdis, err := d.VDIs(ctx, "2024", "SCI", "")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	var labels []string
	for _, v := range vdis {
		got[v.Key()] = v.Label
		labels = append(labels, v.Label)
	}
	for _, want := range []string{"LMATH/201", "LINFO/201", "MCHIM/201", "LPMETI/1", "DUASTR/1"} {
		if _, ok := got[want]; !ok {
			t.Errorf("VDI %s not offered: %v", want, got)
		}
	}
	if _, ok := got["PREPSC/1"]; ok {
		t.Error("nature 9 (absence de diplôme) offered")
	}
	if got["LMATH/201"] != "Licence Mathématiques" {
		t.Errorf("label = %q, want lib_web_vdi", got["LMATH/201"])
	}
	for i := 1; i < len(labels); i++ {
		if labels[i-1] > labels[i] {
			t.Errorf("not ordered by label: %v", labels)
		}
	}
	// The nature is configurable: with "2" the DU disappears and the nature-9 VDI shows.
	vdis, _ = d.VDIs(ctx, "2024", "SCI", "2")
	keys := ""
	for _, v := range vdis {
		keys += v.Key() + " "
	}
	if strings.Contains(keys, "DUASTR/1") || !strings.Contains(keys, "PREPSC/1") {
		t.Errorf("absent nature 2: %s", keys)
	}
}

func TestR04_HabilitationEndedAndNonTerminalNotOffered(t *testing.T) {
	d := openTestDB(t, "")
	vdis, err := d.VDIs(context.Background(), "2024", "DEG", "")
	if err != nil {
		t.Fatal(err)
	}
	keys := ""
	for _, v := range vdis {
		keys += v.Key() + " "
	}
	if !strings.Contains(keys, "LDROIT/201") || !strings.Contains(keys, "MDAFF/201") {
		t.Errorf("DEG VDIs missing: %s", keys)
	}
	if strings.Contains(keys, "MECOAP/101") {
		t.Error("VDI whose habilitation ended in 2022 offered for 2024")
	}
	if strings.Contains(keys, "LDRTC/201") {
		t.Error("non-terminal VDI with an intermediate diploma offered")
	}
	if strings.Contains(keys, "DEUGDR/1") {
		t.Error("VDI not habilitated for the component offered")
	}
	// Another component's VDIs are not offered.
	if strings.Contains(keys, "LMATH") {
		t.Error("SCI VDI offered in DEG")
	}
	old, _ := d.VDIs(context.Background(), "2022", "DEG", "")
	found := false
	for _, v := range old {
		found = found || v.Key() == "MECOAP/101"
	}
	if !found {
		t.Error("MECOAP/101 not offered in its last habilitation year 2022")
	}
}

func TestR05_FilterGraduatingKeepsDiplomaStages(t *testing.T) {
	d := openTestDB(t, "")
	in := []domain.VET{{Etape: "L1MATH", Version: "201"}, {Etape: "L2MATH", Version: "201"},
		{Etape: "L3MATH", Version: "201"}, {Etape: "NOPE", Version: "1"}}
	out, err := d.FilterGraduating(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 1 || out[0].Key() != "L3MATH/201" || !out[0].Graduating || out[0].Label != "L3 Mathématiques" {
		t.Fatalf("graduating = %+v", out)
	}
	two, _ := d.FilterGraduating(context.Background(), []domain.VET{{Etape: "L2INFO", Version: "201"},
		{Etape: "L3INFN", Version: "201"}, {Etape: "L3INFE", Version: "201"}})
	if len(two) != 2 {
		t.Fatalf("two graduating VETs expected: %+v", two)
	}
}

func TestR13_DeliveryAuthorised(t *testing.T) {
	a := sharedSim(t)
	d := openTestDB(t, "")
	ctx := context.Background()
	lmath := domain.VDI{Dip: "LMATH", Version: "201"}
	for c, want := range map[string]bool{
		"admitted":                 true,
		"delivery_not_authorised":  false,
		"session2_overrides":       true, // session 2 authorised
		"session1_pass_later_fail": true, // at least one admission session authorised
		"not_admitted":             false,
		"no_verdict":               false,
		"admissibility_only":       false, // cod_adm = 0 does not count
	} {
		ind := indOf(t, a, a.Cases()[c])
		got, err := d.DeliveryAuthorised(ctx, ind, sim.CaseYear, lmath)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("%s: delivery authorised = %v, want %v", c, got, want)
		}
	}
	// Other year, other VDI: nothing.
	ind := indOf(t, a, a.Cases()["admitted"])
	if ok, _ := d.DeliveryAuthorised(ctx, ind, "2023", lmath); ok {
		t.Error("authorised in another year")
	}
	if ok, _ := d.DeliveryAuthorised(ctx, ind, sim.CaseYear, domain.VDI{Dip: "LINFO", Version: "201"}); ok {
		t.Error("authorised for another VDI")
	}
}

func TestR09_OfficialLabel(t *testing.T) {
	d := openTestDB(t, "")
	ctx := context.Background()
	for vdi, want := range map[string]string{
		"LMATH/201":  "Licence Sciences, technologies, santé mention Mathématiques parcours Mathématiques fondamentales",
		"LLETMO/201": "Licence Arts, lettres, langues mention Lettres parcours Lettres modernes",
		"DUASTR/1":   "Diplôme d'université Astronomie et astrophysique",
	} {
		v, _ := domain.ParseVDI(vdi)
		got, err := d.OfficialLabel(ctx, sim.CaseYear, v)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("%s: label = %q, want %q", vdi, got, want)
		}
	}
	_, err := d.OfficialLabel(ctx, sim.CaseYear, domain.VDI{Dip: "NOPE", Version: "1"})
	if !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("unknown VDI: %v", err)
	}
}

func TestR16_SignatureDecrypted(t *testing.T) {
	d := openTestDB(t, "")
	sig, err := d.Signature(context.Background(), sim.SignerCode, sim.SignatureKey)
	if err != nil {
		t.Fatal(err)
	}
	if sig.Name == "" || sig.Title != "Le Président de l'Université" || !strings.HasPrefix(string(sig.Image), "\x89PNG") {
		t.Fatalf("signature = %s %q %q %d bytes", sig.Code, sig.Name, sig.Title, len(sig.Image))
	}
	// The official stamp (IMG_TAM_STD) is decrypted with the same key; a signer
	// without one (NULL) has none and is no error.
	if !strings.HasPrefix(string(sig.Stamp), "\x89PNG") || bytes.Equal(sig.Stamp, sig.Image) {
		t.Errorf("stamp of %s: %d bytes", sim.SignerCode, len(sig.Stamp))
	}
	old, err := d.Signature(context.Background(), sim.SignerWithoutStamp, sim.SignatureKey)
	if err != nil || len(old.Image) == 0 || old.Stamp != nil {
		t.Errorf("%s: %v, image %d bytes, stamp %d bytes", sim.SignerWithoutStamp, err, len(old.Image), len(old.Stamp))
	}
}

func TestR16_SignatureProblemsAreClear(t *testing.T) {
	d := openTestDB(t, "")
	ctx := context.Background()
	cases := []struct {
		name, code, key string
		kind            error
		says            string
	}{
		{"wrong key", sim.SignerCode, "mauvaise-cle", domain.ErrPermanent, "clé de déchiffrement"},
		{"unknown signer", "NOBODY", sim.SignatureKey, domain.ErrNotFound, "NOBODY"},
		{"no image", sim.SignerWithoutImage, sim.SignatureKey, domain.ErrNotFound, "pas d'image"},
	}
	for _, c := range cases {
		_, err := d.Signature(ctx, c.code, c.key)
		var ee *domain.ExternalError
		if !errors.As(err, &ee) || ee.System != "Apogée" || !errors.Is(err, c.kind) || !strings.Contains(err.Error(), c.says) {
			t.Errorf("%s: err = %v", c.name, err)
		}
	}
}

func TestErrors_OracleUnreachableIsTransient(t *testing.T) {
	// A port nobody listens on: go-ora's dial fails with "connection refused".
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	db, err := sql.Open("oracle", "oracle://hypercerts:secret@"+addr+"/APOGEE?CONNECTION TIMEOUT=2")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	d, err := OpenDB(db, DialectOracle, "")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err = d.OpenYears(ctx)
	var ee *domain.ExternalError
	if !errors.As(err, &ee) || !domain.IsTransient(err) || ee.System != "Apogée" {
		t.Fatalf("unreachable Oracle: %v", err)
	}
	if err := d.Check(ctx); !domain.IsTransient(err) {
		t.Fatalf("Check on unreachable Oracle: %v", err)
	}
}

func TestErrors_CancelledContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := openTestDB(t, "").Components(ctx, sim.DemoUser); err == nil || !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
}

func TestStudentByINE_FindsTheStudentNumber(t *testing.T) {
	ctx := context.Background()
	s, err := sim.Open(sim.Options{Students: 50})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	db, err := OpenDB(s.DB(), DialectSQLite, "")
	if err != nil {
		t.Fatal(err)
	}
	var code, ine string
	if err := s.DB().QueryRowContext(ctx, `SELECT COD_ETU, COD_NNE_IND || COD_CLE_NNE_IND FROM INDIVIDU WHERE COD_ETU IS NOT NULL LIMIT 1`).Scan(&code, &ine); err != nil {
		t.Fatal(err)
	}
	got, err := db.StudentByINE(ctx, strings.ToLower(ine))
	if err != nil || got != code {
		t.Fatalf("StudentByINE(%s) = %q, %v; want %s", ine, got, err, code)
	}
	for _, bad := range []string{"0000000000X", "123"} {
		if _, err := db.StudentByINE(ctx, bad); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("StudentByINE(%s): got %v, want not found", bad, err)
		}
	}
}
