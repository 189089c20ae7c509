package sim

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"hypercerts/internal/testenv"
)

// wsdlDir finds ../shared/apogee/wsdl/apo-webservices-client-64030/wsdl from the repo root.
func wsdlDir(t *testing.T) string {
	t.Helper()
	dir, _ := os.Getwd()
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("repository root not found")
		}
		dir = parent
	}
	w := filepath.Join(dir, "..", "shared", "apogee", "wsdl", "apo-webservices-client-64030", "wsdl")
	if _, err := os.Stat(w); err != nil {
		skipOrFail(t, "Apogée WSDLs not found at %s", w)
	}
	abs, _ := filepath.Abs(w)
	return abs
}

var (
	schemaMu    sync.Mutex
	schemaCache = map[string]string{}
	xmlnsRE     = regexp.MustCompile(`xmlns:[A-Za-z0-9_]+="[^"]*"`)
)

// schemaFor turns the inline schema of a service's abstract WSDL into an XSD file:
// the wsdl:definitions namespace declarations are copied onto <schema>, and the
// relative schemaLocations made absolute. The WSDL files are read, never copied
// into the project.
func schemaFor(t *testing.T, wsdlFile string) string {
	t.Helper()
	schemaMu.Lock()
	defer schemaMu.Unlock()
	if p, ok := schemaCache[wsdlFile]; ok {
		return p
	}
	dir := wsdlDir(t)
	raw, err := os.ReadFile(filepath.Join(dir, "abstract", wsdlFile))
	if err != nil {
		t.Fatal(err)
	}
	s := string(raw)
	defStart := strings.Index(s, "<wsdl:definitions")
	defEnd := strings.Index(s[defStart:], ">") + defStart
	decls := xmlnsRE.FindAllString(s[defStart:defEnd], -1)
	start := strings.Index(s, "<schema ")
	end := strings.Index(s, "</schema>") + len("</schema>")
	schema := s[start:end]
	tagEnd := strings.Index(schema, ">")
	var add []string
	for _, d := range decls {
		name := d[:strings.Index(d, "=")]
		if !strings.Contains(schema[:tagEnd], name+"=") {
			add = append(add, d)
		}
	}
	schema = schema[:len("<schema")] + " " + strings.Join(add, " ") + schema[len("<schema"):]
	schema = strings.ReplaceAll(schema, `schemaLocation="../schemas/`, `schemaLocation="file://`+filepath.ToSlash(dir)+`/schemas/`)
	out := filepath.Join(os.TempDir(), fmt.Sprintf("hypercerts-sim-%d-%s.xsd", os.Getpid(), wsdlFile))
	if err := os.WriteFile(out, []byte(`<?xml version="1.0" encoding="ISO-8859-15"?>`+"\n"+schema), 0o600); err != nil {
		t.Fatal(err)
	}
	schemaCache[wsdlFile] = out
	return out
}

func TestMain(m *testing.M) {
	code := m.Run()
	for _, p := range schemaCache {
		os.Remove(p)
	}
	os.Exit(code)
}

var wsdlOf = map[string]string{
	"OffreFormationMetier": "OffreFormationMetier.wsdl",
	"EtudiantMetier":       "EtudiantMetier.wsdl",
	"PedagogiqueMetier":    "PedagogiqueMetier.wsdl",
	"ReferentielMetier":    "ReferentielMetier_21062012.wsdl",
}

// validate checks the body element of a SOAP answer (the response wrapper, or the
// fault detail element) with xmllint against the service's schema.
func validate(t *testing.T, service, envelope string) {
	t.Helper()
	xmllint, err := exec.LookPath("xmllint")
	if err != nil {
		skipOrFail(t, "xmllint not installed (Debian: libxml2-utils)")
	}
	body := envelope
	if i := strings.Index(body, "<ns1:fault "); i >= 0 {
		body = body[i : strings.Index(body, "</ns1:fault>")+len("</ns1:fault>")]
	} else {
		i := strings.Index(body, "<soapenv:Body>") + len("<soapenv:Body>")
		body = body[i:strings.Index(body, "</soapenv:Body>")]
	}
	doc := filepath.Join(t.TempDir(), "body.xml")
	os.WriteFile(doc, []byte(`<?xml version="1.0" encoding="utf-8"?>`+"\n"+body), 0o600)
	out, err := exec.Command(xmllint, "--noout", "--nonet", "--schema", schemaFor(t, wsdlOf[service]), doc).CombinedOutput()
	if err != nil {
		t.Fatalf("%s answer does not validate: %v\n%s\n%.3000s", service, err, out, body)
	}
}

// call posts a request the way the generated client does: prefixed wrapper,
// unqualified children.
func call(t *testing.T, base, service, op, params string) (int, string) {
	t.Helper()
	env := `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>` +
		`<tns:` + op + ` xmlns:tns="` + Services[service] + `">` + params + `</tns:` + op + `></soapenv:Body></soapenv:Envelope>`
	req, _ := http.NewRequest(http.MethodPost, base+"/services/"+service, strings.NewReader(env))
	req.Header.Set("Content-Type", "text/xml; charset=utf-8")
	req.Header.Set("SOAPAction", `""`)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func startSim(t *testing.T, opts Options) (*Apogee, string) {
	t.Helper()
	a := openSim(t, opts)
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(srv.Close)
	return a, srv.URL
}

func identifiants(codEtu string) string {
	return `<_codEtu>` + codEtu + `</_codEtu><_codInd/><_numINE/><_cleINE/><_numBoursier/><_codOPI/><_nom/><_prenom/><_dateNaiss/><_temoinRecupAnnu>O</_temoinRecupAnnu>`
}

func contrat(codEtu, year string) string {
	return `<_codEtu>` + codEtu + `</_codEtu><_codAnu>` + year + `</_codAnu><_sourceRes>Apogee</_sourceRes><_etatDelib>T</_etatDelib><_codSes>toutes</_codSes><_typeRes>tous</_typeRes><_codEtaIae>E</_codEtaIae>`
}

const seCritere = `<_seCritere><codAnu>2024</codAnu><codComposanteVdi/><codDip>%s</codDip><codElp>aucun</codElp><codEtp>tous</codEtp>` +
	`<codNatureDip/><codNatureElp/><codTypDip/><codVrsVdi>%s</codVrsVdi><codVrsVet>tous</codVrsVet><temOuvertRecrutement/></_seCritere>`

const listeCritere = `<_parametres><annee>2024</annee><listDiplomes><item><code>%s</code><listVersion>%s</listVersion></item></listDiplomes>` +
	`<listEtapes><item><code>%s</code><listVersion>%s</listVersion></item></listEtapes></_parametres>`

func TestSOAP_ResponsesFollowTheWSDL(t *testing.T) {
	a, base := startSim(t, Options{Students: 200})
	cases := a.Cases()
	for _, c := range []struct{ service, op, params string }{
		{"OffreFormationMetier", "recupererSE_v3", fmt.Sprintf(seCritere, "LMATH", "201")},
		{"OffreFormationMetier", "recupererSE_v3", fmt.Sprintf(seCritere, "MCHIM", "201")},
		{"EtudiantMetier", "recupererListeEtudiants", fmt.Sprintf(listeCritere, "LMATH", "201", "L3MATH", "201")},
		{"EtudiantMetier", "recupererIdentifiantsEtudiant", identifiants(cases["admitted"])},
		{"EtudiantMetier", "recupererIdentifiantsEtudiant", identifiants(cases["no_email"])},
		{"EtudiantMetier", "recupererInfosAdmEtu_v4", `<_codEtu>` + cases["blocked_exams"] + `</_codEtu>`},
		{"EtudiantMetier", "recupererInfosAdmEtu_v4", `<_codEtu>` + cases["two_first_names"] + `</_codEtu>`},
		{"EtudiantMetier", "recupererInfosAdmEtu_v3", `<_codEtu>` + cases["blocked_diploma_delivery"] + `</_codEtu>`},
		{"PedagogiqueMetier", "recupererContratPedagogiqueResultatVdiVet_v2", contrat(cases["session2_overrides"], "2024")},
		{"PedagogiqueMetier", "recupererContratPedagogiqueResultatVdiVet_v2", contrat(cases["no_verdict"], "2024")},
		{"PedagogiqueMetier", "recupererContratPedagogiqueResultatVdiVet_v2", contrat(cases["two_vets"], "2024")},
		{"ReferentielMetier", "recupererSignataire", `<_codSig>` + SignerCode + `</_codSig><_temoinEnService>O</_temoinEnService>`},
	} {
		t.Run(c.op, func(t *testing.T) {
			status, body := call(t, base, c.service, c.op, c.params)
			if status != http.StatusOK {
				t.Fatalf("HTTP %d\n%s", status, body)
			}
			if !strings.Contains(body, `<ns1:`+c.op+`Response xmlns:ns1="`+Services[c.service]+`"`) {
				t.Fatalf("wrapper element or namespace wrong:\n%.500s", body)
			}
			validate(t, c.service, body)
		})
	}
}

func TestSOAP_NoDataIsAFaultLikeApogee(t *testing.T) {
	_, base := startSim(t, Options{Students: 50})
	for _, c := range []struct{ service, op, params, msg string }{
		{"EtudiantMetier", "recupererIdentifiantsEtudiant", identifiants("99999999"), "technical.data.nullretrieve.etudiant"},
		{"EtudiantMetier", "recupererInfosAdmEtu_v4", `<_codEtu>abc</_codEtu>`, "technical.parameter.noncoherentinput.codEtu"},
		{"OffreFormationMetier", "recupererSE_v3", fmt.Sprintf(seCritere, "NOPE", "1"), "technical.data.nullretrieve.recupererse"},
		{"ReferentielMetier", "recupererSignataire", `<_codSig>NOBODY</_codSig><_temoinEnService/>`, "technical.data.nullretrieve.signataire"},
		{"PedagogiqueMetier", "recupererContratPedagogiqueResultatVdiVet_v2", contrat("99999999", "2024"), "technical.data.nullretrieve"},
	} {
		status, body := call(t, base, c.service, c.op, c.params)
		if status != http.StatusInternalServerError || !strings.Contains(body, "<faultstring>"+c.msg) ||
			!strings.Contains(body, "<lastErrorMsg>"+c.msg) {
			t.Errorf("%s: HTTP %d\n%s", c.op, status, body)
			continue
		}
		validate(t, c.service, body)
	}
}

func TestSOAP_AnswersFromTheTables(t *testing.T) {
	a, base := startSim(t, Options{Students: 300})
	cases := a.Cases()
	// R05: the offer lists the stages of the VDI, with their versions.
	_, se := call(t, base, "OffreFormationMetier", "recupererSE_v3", fmt.Sprintf(seCritere, "LMATH", "201"))
	for _, want := range []string{"<codEtp>L1MATH</codEtp>", "<codEtp>L3MATH</codEtp>", "<codVrsVet>201</codVrsVet>", "<libWebVdi>Licence Mathématiques</libWebVdi>"} {
		if !strings.Contains(se, want) {
			t.Errorf("recupererSE_v3 lacks %s", want)
		}
	}
	// R06: the case student is in the list of L3MATH.
	_, list := call(t, base, "EtudiantMetier", "recupererListeEtudiants", fmt.Sprintf(listeCritere, "LMATH", "201", "L3MATH", "201"))
	if !strings.Contains(list, "<codEtu>"+cases["admitted"]+"</codEtu>") || !strings.Contains(list, "<nom>LEFÈVRE</nom>") {
		t.Errorf("admitted student not listed:\n%.800s", list)
	}
	// Lenient parsing: children qualified with the service namespace work too.
	qual := strings.NewReplacer("<_codEtu>", "<tns:_codEtu>", "</_codEtu>", "</tns:_codEtu>").Replace(identifiants(cases["admitted"]))
	_, id := call(t, base, "EtudiantMetier", "recupererIdentifiantsEtudiant", qual)
	if !strings.Contains(id, "<emailAnnuaire>elodie.lefevre@etu.univ-demo.fr</emailAnnuaire>") {
		t.Errorf("identifiants:\n%s", id)
	}
	_, id = call(t, base, "EtudiantMetier", "recupererIdentifiantsEtudiant", identifiants(cases["no_email"]))
	if !strings.Contains(id, `<emailAnnuaire xsi:nil="true"/>`) {
		t.Errorf("no e-mail should be nil:\n%s", id)
	}
	// R15: blockings with French labels.
	_, adm := call(t, base, "EtudiantMetier", "recupererInfosAdmEtu_v4", `<_codEtu>`+cases["blocked_remote_registration"]+`</_codEtu>`)
	if !strings.Contains(adm, "<codTypBlocage>IAW</codTypBlocage><libTypBlocage>Blocage de l&#39;inscription administrative à distance</libTypBlocage>") {
		t.Errorf("blocking missing:\n%s", adm)
	}
	// R10/R11: both sessions, session 2 favourable.
	_, ct := call(t, base, "PedagogiqueMetier", "recupererContratPedagogiqueResultatVdiVet_v2", contrat(cases["session2_overrides"], "2024"))
	if strings.Count(ct, "<natureResultat><codAdm>1</codAdm>") != 2 ||
		!strings.Contains(ct, "<session><codSes>2</codSes><libSes>Session 2</libSes></session><typResultat><codNegTre>1</codNegTre><codTre>ADM</codTre>") {
		t.Errorf("contract:\n%s", ct)
	}
	// etatDelib T hides results whose deliberation is not finished.
	_, pend := call(t, base, "PedagogiqueMetier", "recupererContratPedagogiqueResultatVdiVet_v2", contrat(cases["deliberation_pending"], "2024"))
	if !strings.Contains(pend, `<resultatVdi xsi:nil="true"/>`) {
		t.Errorf("pending deliberation shown:\n%s", pend)
	}
	// Two graduating VETs, one contract.
	_, two := call(t, base, "PedagogiqueMetier", "recupererContratPedagogiqueResultatVdiVet_v2", contrat(cases["two_vets"], "2024"))
	if strings.Count(two, "<recupererContratPedagogiqueResultatVdiVet_v2Return>") != 1 || strings.Count(two, "<temDipVet>O</temDipVet>") != 2 {
		t.Errorf("two VETs:\n%s", two)
	}
	_, sig := call(t, base, "ReferentielMetier", "recupererSignataire", `<_codSig>`+SignerCode+`</_codSig><_temoinEnService>O</_temoinEnService>`)
	if !strings.Contains(sig, "<quaSig>Le Président de l&#39;Université</quaSig>") {
		t.Errorf("signataire:\n%s", sig)
	}
}

// R10: etatDelib and the _etatDelib filter are the result group's state
// (GRP_RESULTAT_VDI joined on its key), not the student's: the students of the pending
// group all get codEtaAvc E, and the group's deliberation ending shows all of them.
func TestSOAP_R10_EtatDelibIsTheResultGroups(t *testing.T) {
	a, base := startSim(t, Options{Students: 300})
	pending := a.Cases()["deliberation_pending"]
	var other string // another student of the pending group
	if err := a.DB().QueryRow(`SELECT MIN(i.cod_etu) FROM resultat_vdi r JOIN individu i ON i.cod_ind = r.cod_ind
WHERE r.cod_dip = ? AND r.cod_anu = ? AND r.cod_ses = ? AND i.cod_etu <> ?`, pendingGroup.dip, pendingGroup.anu, pendingGroup.ses, pending).Scan(&other); err != nil {
		t.Fatal(err)
	}
	contract := func(etu, etatDelib string) string {
		t.Helper()
		params := strings.Replace(contrat(etu, CaseYear), "<_etatDelib>T</_etatDelib>", "<_etatDelib>"+etatDelib+"</_etatDelib>", 1)
		status, body := call(t, base, "PedagogiqueMetier", "recupererContratPedagogiqueResultatVdiVet_v2", params)
		if status != http.StatusOK {
			t.Fatalf("%s, etatDelib %q: HTTP %d\n%s", etu, etatDelib, status, body)
		}
		validate(t, "PedagogiqueMetier", body)
		return body
	}
	const (
		inProgress = "<etatDelib><codEtaAvc>E</codEtaAvc><libEtaAvc>En cours</libEtaAvc></etatDelib>"
		finished   = "<etatDelib><codEtaAvc>T</codEtaAvc><libEtaAvc>Terminée</libEtaAvc></etatDelib>"
	)
	for _, etu := range []string{pending, other} {
		if body := contract(etu, "T"); !strings.Contains(body, `<resultatVdi xsi:nil="true"/>`) {
			t.Errorf("%s: etatDelib T shows a pending group's result:\n%s", etu, body)
		}
		for _, delib := range []string{"E", "tous"} {
			if body := contract(etu, delib); !strings.Contains(body, inProgress) || strings.Contains(body, finished) {
				t.Errorf("%s, etatDelib %s: want the group's state E only:\n%s", etu, delib, body)
			}
		}
	}
	if _, err := a.DB().Exec("UPDATE grp_resultat_vdi SET eta_avc_vdi = 'T' WHERE cod_dip = ? AND cod_anu = ? AND cod_ses = ?",
		pendingGroup.dip, pendingGroup.anu, pendingGroup.ses); err != nil {
		t.Fatal(err)
	}
	for _, etu := range []string{pending, other} {
		if body := contract(etu, "T"); !strings.Contains(body, finished) {
			t.Errorf("%s: deliberation finished, result still hidden:\n%s", etu, body)
		}
	}
}

func TestSOAP_WrongServiceOrMethod(t *testing.T) {
	_, base := startSim(t, Options{Students: 30})
	status, body := call(t, base, "PedagogiqueMetier", "recupererSignataire", `<_codSig>PRES</_codSig>`)
	if status != http.StatusInternalServerError || !strings.Contains(body, "No such operation") {
		t.Errorf("operation on the wrong service: %d %s", status, body)
	}
	resp, err := http.Get(base + "/services/EtudiantMetier")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET: %d", resp.StatusCode)
	}
	resp, _ = http.Post(base+"/services/Inconnu", "text/xml", bytes.NewReader(nil))
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown service: %d", resp.StatusCode)
	}
}

// skipOrFail skips, or fails in CI (internal/testenv: a missing tool or contract is a
// failure there).
func skipOrFail(t *testing.T, format string, args ...any) {
	t.Helper()
	testenv.Missing(t, fmt.Sprintf(format, args...), "voir .ci/run")
}

// TestSOAP_RefusesElementsNotOfTheOperation: like Axis, an element the operation (or one
// of its beans) does not declare is refused with a fault naming it, and a missing
// parameter is a parameter fault; a well-formed request still passes.
func TestSOAP_RefusesElementsNotOfTheOperation(t *testing.T) {
	a, base := startSim(t, Options{Students: 30})
	code := a.Cases()["admitted"]
	for _, tc := range []struct {
		name, service, op, params, want string
	}{
		{"parameter of another operation", "PedagogiqueMetier", "recupererContratPedagogiqueResultatVdiVet_v2",
			`<_codEtu>` + code + `</_codEtu><_sourceExtension>APOGEE</_sourceExtension><_codAnu>2024</_codAnu>`,
			"Invalid element in recupererContratPedagogiqueResultatVdiVet_v2 - _sourceExtension"},
		{"unknown bean field", "OffreFormationMetier", "recupererSE_v3",
			`<_seCritere><codAnu>2024</codAnu><codDiplome>LMATH</codDiplome></_seCritere>`,
			"Invalid element in SECritereDTO2 - codDiplome"},
		{"repeated parameter", "ReferentielMetier", "recupererSignataire",
			`<_codSig>PRES</_codSig><_codSig>PRES</_codSig><_temoinEnService>O</_temoinEnService>`,
			"Invalid element in recupererSignataire - _codSig"},
		{"missing parameter", "ReferentielMetier", "recupererSignataire", `<_codSig>PRES</_codSig>`,
			"technical.parameter.noncoherentinput.temoinEnService"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := a.Calls(tc.op)
			status, body := call(t, base, tc.service, tc.op, tc.params)
			if status != http.StatusInternalServerError || !strings.Contains(body, tc.want+"</faultstring>") {
				t.Errorf("%d %s\nwant a fault %q", status, body, tc.want)
			}
			if a.Calls(tc.op) != before {
				t.Error("a refused request was counted as served")
			}
		})
	}
	if status, body := call(t, base, "ReferentielMetier", "recupererSignataire", `<_codSig>PRES</_codSig><_temoinEnService>O</_temoinEnService>`); status != http.StatusOK {
		t.Errorf("valid request refused: %d %s", status, body)
	}
}

func TestSOAP_FaultInjection(t *testing.T) {
	a, base := startSim(t, Options{Students: 30, Faults: map[string]Fault{
		"recupererIdentifiantsEtudiant": {Times: 2, HTTPStatus: http.StatusServiceUnavailable},
		"recupererInfosAdmEtu_v4":       {SOAPFault: "technical.data.transaction.connexion"},
	}})
	etu := a.Cases()["admitted"]
	for i := 1; i <= 3; i++ {
		status, _ := call(t, base, "EtudiantMetier", "recupererIdentifiantsEtudiant", identifiants(etu))
		want := http.StatusServiceUnavailable
		if i == 3 {
			want = http.StatusOK
		}
		if status != want {
			t.Errorf("call %d: HTTP %d, want %d", i, status, want)
		}
	}
	if n := a.Calls("recupererIdentifiantsEtudiant"); n != 3 {
		t.Errorf("calls = %d", n)
	}
	for range 2 {
		status, body := call(t, base, "EtudiantMetier", "recupererInfosAdmEtu_v4", `<_codEtu>`+etu+`</_codEtu>`)
		if status != http.StatusInternalServerError || !strings.Contains(body, "<faultstring>technical.data.transaction.connexion</faultstring>") {
			t.Fatalf("SOAP fault not injected: %d %s", status, body)
		}
		validate(t, "EtudiantMetier", body)
	}
	a.SetFault("recupererInfosAdmEtu_v4", Fault{})
	if status, _ := call(t, base, "EtudiantMetier", "recupererInfosAdmEtu_v4", `<_codEtu>`+etu+`</_codEtu>`); status != http.StatusOK {
		t.Errorf("fault not removed: %d", status)
	}
}

func TestSOAP_Latency(t *testing.T) {
	a, base := startSim(t, Options{Students: 30, Latency: 80 * time.Millisecond})
	start := time.Now()
	call(t, base, "ReferentielMetier", "recupererSignataire", `<_codSig>`+SignerCode+`</_codSig><_temoinEnService/>`)
	if d := time.Since(start); d < 80*time.Millisecond {
		t.Errorf("answered in %v, latency 80ms", d)
	}
	a.SetFault("recupererSignataire", Fault{Delay: 100 * time.Millisecond})
	start = time.Now()
	call(t, base, "ReferentielMetier", "recupererSignataire", `<_codSig>`+SignerCode+`</_codSig><_temoinEnService/>`)
	if d := time.Since(start); d < 180*time.Millisecond {
		t.Errorf("answered in %v, latency 80ms + delay 100ms", d)
	}
}

func TestStartServesOnLoopback(t *testing.T) {
	a := openSim(t, Options{Students: 30})
	base, err := a.Start()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(base, "http://127.0.0.1:") {
		t.Fatalf("base = %s", base)
	}
	status, _ := call(t, base, "ReferentielMetier", "recupererSignataire", `<_codSig>`+SignerCode+`</_codSig><_temoinEnService/>`)
	if status != http.StatusOK {
		t.Fatalf("HTTP %d", status)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := http.Get(base + "/services/EtudiantMetier"); err == nil {
		t.Fatal("still serving after Close")
	}
}

// Axis 1 refuses an envelope of no known SOAP version (faultcode VersionMismatch,
// Constants.FAULT_VERSIONMISMATCH; the W3C XMLP test suite's XMLP-5 in Axis' own
// tests), and finds a wrapped operation by its local name when its namespace does not
// match (ServiceDesc.getOperationsByQName): the simulator does both.
func TestSOAP_EnvelopeNamespaceIsCheckedOperationNamespaceIsNot(t *testing.T) {
	_, base := startSim(t, Options{Students: 30})
	post := func(env string) (int, string) {
		t.Helper()
		resp, err := http.Post(base+"/services/ReferentielMetier", "text/xml; charset=utf-8", strings.NewReader(env))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	op := `<tns:recupererSignataire xmlns:tns="%s"><_codSig>` + SignerCode + `</_codSig><_temoinEnService>O</_temoinEnService></tns:recupererSignataire>`
	wrongEnv := `<e:Envelope xmlns:e="http://example.org/not-soap"><e:Body>` + fmt.Sprintf(op, Services["ReferentielMetier"]) + `</e:Body></e:Envelope>`
	status, body := post(wrongEnv)
	if status != http.StatusInternalServerError || !strings.Contains(body, "VersionMismatch") {
		t.Errorf("envelope in a foreign namespace: %d %s", status, body)
	}
	for _, ns := range []string{"http://schemas.xmlsoap.org/soap/envelope/", "http://www.w3.org/2003/05/soap-envelope"} {
		otherOp := `<e:Envelope xmlns:e="` + ns + `"><e:Body>` + fmt.Sprintf(op, "urn:autre") + `</e:Body></e:Envelope>`
		if status, body := post(otherOp); status != http.StatusOK || !strings.Contains(body, "<quaSig>") {
			t.Errorf("envelope %s, operation in another namespace: %d %s", ns, status, body)
		}
	}
}
