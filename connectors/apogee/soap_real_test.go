package apogee

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/charmap"

	"hypercerts/connectors/apogee/sim"
	"hypercerts/connectors/apogee/ws/etudiant"
	"hypercerts/connectors/apogee/ws/pedagogique"
	"hypercerts/domain"
	"hypercerts/render"
)

// Tests of Apogée as it really answers (docs/apogee-ws.md, "How the real Apogée
// differs"): filters, nils, charsets, strange answers, sizes, fault codes.

func simServer(t *testing.T, students int) (*sim.Apogee, *WS, string) {
	t.Helper()
	a, err := sim.Open(sim.Options{Seed: 5, Students: students})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.Close() })
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(srv.Close)
	return a, newTestWS(t, srv.URL), srv.URL
}

// TestR10_ContractFilters_WildcardsNotEmpty: the client sends session "toutes" and
// result type "tous" as public clients do, and gets the admitted student's results
// from an Apogée that reads an empty filter as matching nothing (the embedded one does,
// so a regression to empty filters shows here).
func TestR10_ContractFilters_WildcardsNotEmpty(t *testing.T) {
	a, w, base := simServer(t, 10)
	ctx := context.Background()
	code := a.Cases()["admitted"]
	cp, err := a.CaseCampaign("admitted")
	if err != nil {
		t.Fatal(err)
	}
	c, err := w.Contract(ctx, code, cp.Year, cp.VDI)
	if err != nil {
		t.Fatal(err)
	}
	if c == nil || len(c.Results) == 0 {
		t.Fatalf("contract of the admitted student = %+v: no result (filters read as matching nothing?)", c)
	}
	// The strict server: empty filters give the contract without any result.
	req := func(ses, typ string) string {
		return `<apo:recupererContratPedagogiqueResultatVdiVet_v2 xmlns:apo="gouv.education.apogee.commun.servicesmetiers.PedagogiqueMetier">` +
			`<_codEtu>` + code + `</_codEtu><_codAnu>` + cp.Year + `</_codAnu><_sourceRes>Apogee</_sourceRes><_etatDelib>T</_etatDelib>` +
			`<_codSes>` + ses + `</_codSes><_typeRes>` + typ + `</_typeRes><_codEtaIae>E</_codEtaIae></apo:recupererContratPedagogiqueResultatVdiVet_v2>`
	}
	url := base + "/services/PedagogiqueMetier"
	if body := rawCall(t, url, req("", "")); !strings.Contains(body, `<resultatVdi xsi:nil="true"/>`) || strings.Contains(body, "<typResultat>") {
		t.Errorf("empty _codSes/_typeRes must match no result:\n%s", body)
	}
	if body := rawCall(t, url, req("toutes", "")); strings.Contains(body, "<typResultat>") {
		t.Errorf("empty _typeRes must match no result:\n%s", body)
	}
	if body := rawCall(t, url, req("toutes", "tous")); !strings.Contains(body, "<typResultat>") {
		t.Errorf("toutes/tous must give the results:\n%s", body)
	}
}

// TestR14_MissingECTSStaysMissing: an xsi:nil nbrCrdVdi is no ECTS figure (not 0), and
// the attestation then has no ECTS line.
func TestR14_MissingECTSStaysMissing(t *testing.T) {
	a, w, _ := simServer(t, 10)
	ctx := context.Background()
	code := a.Cases()["admitted"]
	cp, _ := a.CaseCampaign("admitted")
	if _, err := a.DB().ExecContext(ctx, `UPDATE RESULTAT_VDI SET NBR_CRD_VDI = NULL
		WHERE COD_IND = (SELECT COD_IND FROM INDIVIDU WHERE COD_ETU = ?)`, code); err != nil {
		t.Fatal(err)
	}
	c, err := w.Contract(ctx, code, cp.Year, cp.VDI)
	if err != nil || c == nil || len(c.Results) == 0 {
		t.Fatalf("contract = %+v, %v", c, err)
	}
	for _, r := range c.Results {
		if r.ECTS != "" {
			t.Errorf("nil nbrCrdVdi read as ECTS %q, want none", r.ECTS)
		}
	}
	pdftotext := needTool(t, "pdftotext", "poppler-utils")
	rd, err := render.New(render.Options{University: "Université de Démo", City: "Lyon"})
	if err != nil {
		t.Fatal(err)
	}
	var pdf bytes.Buffer
	err = rd.Render(&pdf, domain.Attestation{Student: domain.Student{Code: code, LastName: "Lefèvre", FirstName1: "Élodie"},
		DiplomaLabel: "Licence Mathématiques", YearLabel: "2024-2025", ECTS: c.Results[len(c.Results)-1].ECTS,
		Signature: domain.Signature{Code: "PRES", Name: "Jean-Marc Fontaine", Title: "Le Président"}, IssuedAt: time.Date(2025, 7, 1, 10, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	if text := pdfToText(t, pdftotext, pdf.Bytes()); strings.Contains(text, "ECTS") {
		t.Errorf("the attestation prints an ECTS figure Apogée does not have:\n%s", text)
	}
}

func TestContract_NilVersionIsAnErrorNamingTheStudent(t *testing.T) {
	resp := envelope(pedagogique.Namespace, `<ns1:recupererContratPedagogiqueResultatVdiVet_v2Response xmlns:ns1="NS" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
	<recupererContratPedagogiqueResultatVdiVet_v2Return><annee>2024</annee>
	  <diplome><codDip>LMATH</codDip><codVrsVdi xsi:nil="true"/></diplome><resultatVdi xsi:nil="true"/></recupererContratPedagogiqueResultatVdiVet_v2Return>
	</ns1:recupererContratPedagogiqueResultatVdiVet_v2Response>`)
	f := newFakeApogee(t, 200, resp)
	c, err := newTestWS(t, f.srv.URL).Contract(context.Background(), "21000001", "2024", lmath)
	if err == nil {
		t.Fatalf("contract without version silently read as %+v", c)
	}
	ee := externalKind(t, err, domain.ErrPermanent)
	if !strings.Contains(ee.Msg, "21000001") || !strings.Contains(ee.Msg, "codVrsVdi") {
		t.Errorf("message %q does not name the student and the missing version", ee.Msg)
	}
}

// TestCharset_Latin1AndLatin9: an ISO-8859-1 or -15 answer (declared in the XML
// declaration, or only in the Content-Type header) is decoded, accents included.
func TestCharset_Latin1AndLatin9(t *testing.T) {
	inner := `<ns1:recupererInfosAdmEtu_v4Response xmlns:ns1="NS"><recupererInfosAdmEtu_v4Return>
	<libVilleNaissance>Besançon</libVilleNaissance><nomPatronymique>LEFÈVRE</nomPatronymique><prenom1>Élodie</prenom1><prenom2>Œdipe</prenom2>
	</recupererInfosAdmEtu_v4Return></ns1:recupererInfosAdmEtu_v4Response>`
	for _, tc := range []struct {
		name, decl, header string
		cm                 *charmap.Charmap
		want2              string
	}{
		{"iso-8859-1 declared", "ISO-8859-1", "text/xml", charmap.ISO8859_1, ""},
		{"iso-8859-15 declared", "ISO-8859-15", "text/xml; charset=ISO-8859-15", charmap.ISO8859_15, "Œdipe"},
		{"iso-8859-1 in the header only", "", "text/xml; charset=ISO-8859-1", charmap.ISO8859_1, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc := envelope(etudiant.Namespace, inner)
			if tc.cm == charmap.ISO8859_1 {
				doc = strings.ReplaceAll(doc, "<prenom2>Œdipe</prenom2>", "") // not in Latin-1
			}
			doc = strings.Replace(doc, `encoding="UTF-8"`, `encoding="`+tc.decl+`"`, 1)
			if tc.decl == "" {
				doc = declRe.ReplaceAllString(doc, "")
			}
			raw, err := tc.cm.NewEncoder().String(doc)
			if err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
				rw.Header().Set("Content-Type", tc.header)
				_, _ = io.WriteString(rw, raw)
			}))
			t.Cleanup(srv.Close)
			info, err := newTestWS(t, srv.URL).AdminInfo(context.Background(), "1")
			if err != nil {
				t.Fatal(err)
			}
			if info.BirthPlace != "Besançon" || info.LastName != "LEFÈVRE" || info.FirstName1 != "Élodie" || info.FirstName2 != tc.want2 {
				t.Errorf("decoded %+v", info)
			}
		})
	}
}

// TestStrangeAnswers_NameServiceAndOperation: an answer in another namespace, or in
// rpc/encoded form with multiRef, is an error naming service and operation, never a
// student with empty data.
func TestStrangeAnswers_NameServiceAndOperation(t *testing.T) {
	for name, body := range map[string]string{
		"other namespace": envelope("urn:autre", `<ns1:recupererIdentifiantsEtudiantResponse xmlns:ns1="NS"><recupererIdentifiantsEtudiantReturn>
			<codEtu>1</codEtu></recupererIdentifiantsEtudiantReturn></ns1:recupererIdentifiantsEtudiantResponse>`),
		"multiRef": envelope(etudiant.Namespace, `<ns1:recupererIdentifiantsEtudiantResponse xmlns:ns1="NS" soapenv:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/">
			<recupererIdentifiantsEtudiantReturn href="#id0"/></ns1:recupererIdentifiantsEtudiantResponse>
			<multiRef id="id0" soapenc:root="0" xmlns:soapenc="http://schemas.xmlsoap.org/soap/encoding/"><codEtu>1</codEtu></multiRef>`),
	} {
		t.Run(name, func(t *testing.T) {
			f := newFakeApogee(t, 200, body)
			id, err := newTestWS(t, f.srv.URL).Identity(context.Background(), "1")
			if err == nil {
				t.Fatalf("accepted as %+v", id)
			}
			ee := externalKind(t, err, domain.ErrPermanent)
			if !strings.Contains(ee.Msg, ServiceEtudiant) || !strings.Contains(ee.Msg, "recupererIdentifiantsEtudiant") {
				t.Errorf("message %q does not name service and operation", ee.Msg)
			}
		})
	}
}

// TestResponseSize_Bounded: a response above the limit is refused with a message
// naming the limit, whether its length is announced or not.
func TestResponseSize_Bounded(t *testing.T) {
	big := envelope(etudiant.Namespace, `<ns1:recupererListeEtudiantsResponse xmlns:ns1="NS">`+
		strings.Repeat(`<etudiant><codEtu>1</codEtu><nom>X</nom></etudiant>`, 24000)+`</ns1:recupererListeEtudiantsResponse>`)
	if len(big) <= 1<<20 {
		t.Fatalf("the answer (%d bytes) must pass the 1 MiB limit", len(big))
	}
	for _, chunked := range []bool{false, true} {
		t.Run("chunked="+strconv.FormatBool(chunked), func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
				rw.Header().Set("Content-Type", "text/xml; charset=utf-8")
				if !chunked {
					rw.Header().Set("Content-Length", strconv.Itoa(len(big)))
				}
				_, _ = io.WriteString(rw, big)
				if chunked {
					rw.(http.Flusher).Flush()
				}
			}))
			t.Cleanup(srv.Close)
			w, err := NewWS(WSConfig{BaseURL: srv.URL, MaxResponseBytes: 1 << 20})
			if err != nil {
				t.Fatal(err)
			}
			_, err = w.Students(context.Background(), "2024", lmath, domain.VET{Etape: "L3", Version: "1"})
			ee := externalKind(t, err, domain.ErrPermanent)
			if !strings.Contains(ee.Msg, "trop grande") || !strings.Contains(ee.Msg, "1 Mio") {
				t.Errorf("message %q", ee.Msg)
			}
			// Under the limit, the same answer is read.
			// Decoding 24,000 students under -race takes seconds of CPU: on a loaded
			// machine the default 30 s per call ran out (this test is not about time).
			w2, _ := NewWS(WSConfig{BaseURL: srv.URL, MaxResponseBytes: int64(len(big)), Timeout: 5 * time.Minute})
			if got, err := w2.Students(context.Background(), "2024", lmath, domain.VET{Etape: "L3", Version: "1"}); err != nil || len(got) != 1 {
				t.Errorf("answer of exactly the limit: %d students, %v", len(got), err)
			}
		})
	}
}

// TestFaultCode_ShownAsApogeeWritesIt: the code is Apogée's (faultstring), not the
// WebBaseException's fields put end to end ("nullretrieve.data…").
func TestFaultCode_ShownAsApogeeWritesIt(t *testing.T) {
	a, w, _ := simServer(t, 5)
	a.SetFault("recupererIdentifiantsEtudiant", sim.Fault{SOAPFault: "technical.parameter.noncoherentinput.codEtu"})
	_, err := w.Identity(context.Background(), "1")
	ee := externalKind(t, err, domain.ErrPermanent)
	if !strings.HasPrefix(ee.Msg, "technical.parameter.noncoherentinput.codEtu") || strings.Contains(ee.Msg, "noncoherentinput.parameter") {
		t.Errorf("message %q does not show the real code first", ee.Msg)
	}
	_, err = w.AdminInfo(context.Background(), "99999999")
	ee = externalKind(t, err, domain.ErrNotFound)
	if !strings.HasPrefix(ee.Msg, "technical.data.nullretrieve.etudiant") {
		t.Errorf("no-data message %q", ee.Msg)
	}
}

func pdfToText(t *testing.T, pdftotext string, pdf []byte) string {
	t.Helper()
	path := t.TempDir() + "/a.pdf"
	if err := writeFile0600(path, pdf); err != nil {
		t.Fatal(err)
	}
	out, err := runCmd(pdftotext, "-enc", "UTF-8", path, "-")
	if err != nil {
		t.Fatalf("pdftotext: %v\n%s", err, out)
	}
	return strings.Join(strings.Fields(string(out)), " ")
}
