package apogee

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"hypercerts/connectors/apogee/ws/etudiant"
	"hypercerts/connectors/apogee/ws/offreformation"
	"hypercerts/connectors/apogee/ws/pedagogique"
	"hypercerts/connectors/apogee/ws/referentiel"
	"hypercerts/domain"
)

var lmath = domain.VDI{Dip: "LMATH", Version: "201"}

func mustContain(t *testing.T, body string, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(body, p) {
			t.Errorf("request lacks %s\nrequest:\n%s", p, body)
		}
	}
}

func checkHeaders(t *testing.T, c captured, path string) {
	t.Helper()
	if c.Path != path {
		t.Errorf("path = %q, want %q", c.Path, path)
	}
	if c.SOAPAction != `""` {
		t.Errorf(`SOAPAction = %q, want "" (quoted empty)`, c.SOAPAction)
	}
	if !strings.HasPrefix(c.ContentType, "text/xml") {
		t.Errorf("Content-Type = %q", c.ContentType)
	}
}

func TestVETs_RequestR05AndMapping(t *testing.T) {
	resp := envelope(offreformation.Namespace, `<ns1:recupererSE_v3Response xmlns:ns1="NS"><recupererSE_v3Return>
	<codDip>LMATH</codDip><libDip>Licence Mathématiques</libDip>
	<listVersionDiplome><item><codVrsVdi>201</codVrsVdi><libWebVdi>Licence Maths</libWebVdi>
	<offreFormation><listEtape>
	  <item><codEtp>L3MATH</codEtp><libEtp>L3 Maths</libEtp><listVersionEtape>
	     <item><codVrsVet>201</codVrsVet><libWebVet>Licence 3e année Mathématiques</libWebVet></item></listVersionEtape></item>
	  <item><codEtp>L2MATH</codEtp><libEtp>L2 Maths</libEtp><listVersionEtape>
	     <item><codVrsVet>201</codVrsVet><libWebVet xsi:nil="true"/></item></listVersionEtape></item>
	</listEtape></offreFormation></item></listVersionDiplome></recupererSE_v3Return></ns1:recupererSE_v3Response>`)
	f := newFakeApogee(t, 200, resp)
	vets, err := newTestWS(t, f.srv.URL).VETs(context.Background(), "2024", lmath)
	if err != nil {
		t.Fatal(err)
	}
	want := []domain.VET{{Etape: "L3MATH", Version: "201", Label: "Licence 3e année Mathématiques"}, {Etape: "L2MATH", Version: "201", Label: "L2 Maths"}}
	if len(vets) != 2 || vets[0] != want[0] || vets[1] != want[1] {
		t.Fatalf("VETs = %+v, want %+v", vets, want)
	}
	c := f.last(t)
	checkHeaders(t, c, "/services/OffreFormationMetier")
	mustContain(t, c.Body, `<apo:recupererSE_v3 xmlns:apo="gouv.education.apogee.commun.servicesmetiers.OffreFormationMetier">`,
		"<_seCritere><codAnu>2024</codAnu>", "<codDip>LMATH</codDip>", "<codVrsVdi>201</codVrsVdi>",
		"<codEtp>tous</codEtp>", "<codVrsVet>tous</codVrsVet>", "<codElp>aucun</codElp>",
		`<temOuvertRecrutement xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:nil="true">`)
	validateRequest(t, "OffreFormationMetier.wsdl", c.Body)
}

func TestStudents_RequestR06AndMapping(t *testing.T) {
	resp := envelope(etudiant.Namespace, `<ns1:recupererListeEtudiantsResponse xmlns:ns1="NS">
	<etudiant><codEtu>21000001</codEtu><nom>DURAND</nom><prenom>Élodie</prenom><dateNaissance>12/04/2002</dateNaissance><numeroIne>1234567890A</numeroIne></etudiant>
	<etudiant><codEtu>21000002</codEtu><nom>MARTIN</nom><prenom>Luc</prenom></etudiant>
	<etudiant><codEtu>21000001</codEtu><nom>DURAND</nom><prenom>Élodie</prenom></etudiant>
	</ns1:recupererListeEtudiantsResponse>`)
	f := newFakeApogee(t, 200, resp)
	got, err := newTestWS(t, f.srv.URL).Students(context.Background(), "2024", lmath, domain.VET{Etape: "L3MATH", Version: "201"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0] != (domain.StudentRef{Code: "21000001", LastName: "DURAND", FirstName: "Élodie"}) || got[1].Code != "21000002" {
		t.Fatalf("students = %+v", got)
	}
	c := f.last(t)
	checkHeaders(t, c, "/services/EtudiantMetier")
	mustContain(t, c.Body, `<apo:recupererListeEtudiants xmlns:apo="gouv.education.apogee.commun.servicesmetiers.EtudiantMetier"><_parametres><annee>2024</annee>`,
		"<listDiplomes><item><code>LMATH</code><listVersion>201</listVersion></item></listDiplomes>",
		"<listEtapes><item><code>L3MATH</code><listVersion>201</listVersion></item></listEtapes>")
	validateRequest(t, "EtudiantMetier.wsdl", c.Body)
}

func TestIdentity_RequestR08AndINE(t *testing.T) {
	resp := envelope(etudiant.Namespace, `<ns1:recupererIdentifiantsEtudiantResponse xmlns:ns1="NS"><recupererIdentifiantsEtudiantReturn>
	<cleINE>K</cleINE><codEtu>21000001</codEtu><codInd>345678</codInd><emailAnnuaire>elodie.durand@etu.example.fr</emailAnnuaire>
	<loginAnnuaire>edurand</loginAnnuaire><numBoursier xsi:nil="true"/><numeroINE>0123456789</numeroINE>
	</recupererIdentifiantsEtudiantReturn></ns1:recupererIdentifiantsEtudiantResponse>`)
	f := newFakeApogee(t, 200, resp)
	id, err := newTestWS(t, f.srv.URL).Identity(context.Background(), "21000001")
	if err != nil {
		t.Fatal(err)
	}
	want := domain.Identity{Code: "21000001", IndividualCode: "345678", INE: "0123456789K", Email: "elodie.durand@etu.example.fr"}
	if id != want {
		t.Fatalf("identity = %+v, want %+v", id, want)
	}
	c := f.last(t)
	checkHeaders(t, c, "/services/EtudiantMetier")
	// The _codEtu pitfall: gowsdl's unexported fields made every request go out empty.
	mustContain(t, c.Body, "<_codEtu>21000001</_codEtu>", "<_temoinRecupAnnu>O</_temoinRecupAnnu>", "<_cleINE></_cleINE>")
	validateRequest(t, "EtudiantMetier.wsdl", c.Body)
}

func TestAdminInfo_RequestR15AndBlockings(t *testing.T) {
	resp := envelope(etudiant.Namespace, `<ns1:recupererInfosAdmEtu_v4Response xmlns:ns1="NS"><recupererInfosAdmEtu_v4Return>
	<dateNaissance>2002-04-12T00:00:00.000+02:00</dateNaissance><libVilleNaissance>Besançon</libVilleNaissance>
	<listeBlocages><item><codBlocage>BU</codBlocage><libBlocage>Livres non rendus</libBlocage>
	<typBlocage><codTypBlocage>EXA</codTypBlocage><libTypBlocage>Blocage examens</libTypBlocage></typBlocage></item></listeBlocages>
	<nomPatronymique>DURAND</nomPatronymique><nomUsuel>DUPONT</nomUsuel><prenom1>Élodie</prenom1><prenom2>Marie</prenom2><sexe>F</sexe>
	</recupererInfosAdmEtu_v4Return></ns1:recupererInfosAdmEtu_v4Response>`)
	f := newFakeApogee(t, 200, resp)
	info, err := newTestWS(t, f.srv.URL).AdminInfo(context.Background(), "21000001")
	if err != nil {
		t.Fatal(err)
	}
	if info.LastName != "DURAND" || info.FirstName1 != "Élodie" || info.FirstName2 != "Marie" || info.BirthPlace != "Besançon" || info.Sex != "F" {
		t.Errorf("civil status = %+v", info)
	}
	if !info.BirthDate.Equal(time.Date(2002, 4, 12, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("birth date = %v", info.BirthDate)
	}
	wantB := domain.Blocking{Code: "BU", Label: "Livres non rendus", TypeCode: "EXA", TypeLabel: "Blocage examens"}
	if len(info.Blockings) != 1 || info.Blockings[0] != wantB {
		t.Errorf("blockings = %+v", info.Blockings)
	}
	c := f.last(t)
	mustContain(t, c.Body, `<apo:recupererInfosAdmEtu_v4 xmlns:apo="gouv.education.apogee.commun.servicesmetiers.EtudiantMetier"><_codEtu>21000001</_codEtu></apo:recupererInfosAdmEtu_v4>`)
	validateRequest(t, "EtudiantMetier.wsdl", c.Body)
}

func TestContract_RequestR10AndResults(t *testing.T) {
	resp := envelope(pedagogique.Namespace, `<ns1:recupererContratPedagogiqueResultatVdiVet_v2Response xmlns:ns1="NS">
	<recupererContratPedagogiqueResultatVdiVet_v2Return><annee>2024</annee>
	  <diplome><codDip>LINFO</codDip><codVrsVdi>201</codVrsVdi></diplome></recupererContratPedagogiqueResultatVdiVet_v2Return>
	<recupererContratPedagogiqueResultatVdiVet_v2Return><annee>2024</annee>
	  <diplome><codDip>LMATH</codDip><codVrsVdi>201</codVrsVdi><libWebVdi>Licence Mathématiques</libWebVdi></diplome>
	  <resultatVdi>
	    <item><mention xsi:nil="true"/><natureResultat><codAdm>1</codAdm></natureResultat><nbrCrdVdi>0</nbrCrdVdi>
	      <session><codSes>1</codSes></session><typResultat><codNegTre>0</codNegTre><codTre>AJ</codTre></typResultat></item>
	    <item><mention><codMen>AB</codMen><libMen>Assez bien</libMen></mention><natureResultat><codAdm>1</codAdm></natureResultat>
	      <nbrCrdVdi>180.0</nbrCrdVdi><session><codSes>2</codSes></session><typResultat><codNegTre>1</codNegTre><codTre>ADM</codTre></typResultat></item>
	    <item><natureResultat><codAdm>0</codAdm></natureResultat><session><codSes>2</codSes></session><typResultat><codTre>ABI</codTre></typResultat></item>
	  </resultatVdi></recupererContratPedagogiqueResultatVdiVet_v2Return>
	</ns1:recupererContratPedagogiqueResultatVdiVet_v2Response>`)
	f := newFakeApogee(t, 200, resp)
	c, err := newTestWS(t, f.srv.URL).Contract(context.Background(), "21000001", "2024", lmath)
	if err != nil {
		t.Fatal(err)
	}
	if c == nil || c.Year != "2024" || c.VDI.Dip != "LMATH" || c.VDI.Label != "Licence Mathématiques" || len(c.Results) != 3 {
		t.Fatalf("contract = %+v", c)
	}
	r1, r2, r3 := c.Results[0], c.Results[1], c.Results[2]
	if r1.Session != 1 || r1.ResultCode != "AJ" || r1.Favourable == nil || *r1.Favourable || !r1.Admission || r1.ECTS != "0" {
		t.Errorf("session 1 = %+v", r1)
	}
	if r2.Session != 2 || r2.ResultCode != "ADM" || r2.Favourable == nil || !*r2.Favourable || r2.Mention != (domain.Mention{Code: "AB", Label: "Assez bien"}) || r2.ECTS != "180" {
		t.Errorf("session 2 = %+v", r2)
	}
	if r3.Favourable != nil || r3.Admission {
		t.Errorf("no codNegTre must give nil, codAdm 0 no admission: %+v", r3)
	}
	got := f.last(t)
	checkHeaders(t, got, "/services/PedagogiqueMetier")
	mustContain(t, got.Body, "<_codEtu>21000001</_codEtu><_codAnu>2024</_codAnu><_sourceRes>Apogee</_sourceRes><_etatDelib>T</_etatDelib><_codSes>toutes</_codSes><_typeRes>tous</_typeRes><_codEtaIae>E</_codEtaIae>")
	validateRequest(t, "PedagogiqueMetier.wsdl", got.Body)

	other, err := newTestWS(t, f.srv.URL).Contract(context.Background(), "21000001", "2024", domain.VDI{Dip: "LPHYS", Version: "201"})
	if err != nil || other != nil {
		t.Errorf("contract of another diploma = %+v, %v; want nil, nil", other, err)
	}
}

func TestSigner_Request(t *testing.T) {
	resp := envelope(referentiel.Namespace, `<ns1:recupererSignataireResponse xmlns:ns1="NS"><recupererSignataireReturn>
	<codSig>PRES</codSig><nomSig>Jeanne Martin</nomSig><quaSig>Présidente de l'université</quaSig><temEnSveSig>O</temEnSveSig>
	</recupererSignataireReturn></ns1:recupererSignataireResponse>`)
	f := newFakeApogee(t, 200, resp)
	name, title, err := newTestWS(t, f.srv.URL).Signer(context.Background(), "PRES")
	if err != nil || name != "Jeanne Martin" || title != "Présidente de l'université" {
		t.Fatalf("signer = %q, %q, %v", name, title, err)
	}
	c := f.last(t)
	checkHeaders(t, c, "/services/ReferentielMetier")
	mustContain(t, c.Body, `<apo:recupererSignataire xmlns:apo="gouv.education.apogee.commun.servicesmetiers.ReferentielMetier_21062012"><_codSig>PRES</_codSig>`)
	validateRequest(t, "ReferentielMetier_21062012.wsdl", c.Body)
}

func TestConfig_PathAndNamespaceOverride(t *testing.T) {
	f := newFakeApogee(t, 200, envelope("x", `<ns1:recupererInfosAdmEtu_v4Response xmlns:ns1="urn:other"><recupererInfosAdmEtu_v4Return><nomPatronymique>X</nomPatronymique></recupererInfosAdmEtu_v4Return></ns1:recupererInfosAdmEtu_v4Response>`))
	w, err := NewWS(WSConfig{BaseURL: f.srv.URL + "/apo-commun-servicesMetiers/", Services: map[string]ServiceConfig{
		ServiceEtudiant: {Path: "services/EtudiantMetier_v2", Namespace: "urn:other"}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.AdminInfo(context.Background(), "1"); err != nil {
		t.Fatal(err)
	}
	c := f.last(t)
	if c.Path != "/apo-commun-servicesMetiers/services/EtudiantMetier_v2" || !strings.Contains(c.Body, `xmlns:apo="urn:other"`) {
		t.Errorf("path %s, body %s", c.Path, c.Body)
	}
	if _, err := NewWS(WSConfig{BaseURL: "ftp://x"}); err == nil {
		t.Error("ftp base URL accepted")
	}
	if _, err := NewWS(WSConfig{BaseURL: "http://x", Services: map[string]ServiceConfig{"Nope": {}}}); err == nil {
		t.Error("unknown service accepted")
	}
}

func externalKind(t *testing.T, err error, kind error) *domain.ExternalError {
	t.Helper()
	var ee *domain.ExternalError
	if !errors.As(err, &ee) {
		t.Fatalf("error %v (%T) is not a *domain.ExternalError", err, err)
	}
	if !errors.Is(err, kind) {
		t.Fatalf("error %q: kind %v, want %v", err, ee.Kind, kind)
	}
	if ee.System != "Apogée" || ee.Op == "" {
		t.Errorf("error %+v lacks system or operation", ee)
	}
	return ee
}

func TestFault_NoData(t *testing.T) {
	ctx := context.Background()
	f := newFakeApogee(t, 500, apogeeFault(etudiant.Namespace, "technical", "data", "nullretrieve", "etudiant", "Aucun étudiant trouvé"))
	w := newTestWS(t, f.srv.URL)
	if got, err := w.Students(ctx, "2024", lmath, domain.VET{Etape: "L3MATH", Version: "201"}); err != nil || len(got) != 0 {
		t.Errorf("Students on no data = %v, %v; want empty, nil", got, err)
	}
	if got, err := w.Contract(ctx, "1", "2024", lmath); err != nil || got != nil {
		t.Errorf("Contract on no data = %v, %v; want nil, nil", got, err)
	}
	if got, err := w.VETs(ctx, "2024", lmath); err != nil || len(got) != 0 {
		t.Errorf("VETs on no data = %v, %v; want empty, nil", got, err)
	}
	_, err := w.Identity(ctx, "99999999")
	ee := externalKind(t, err, domain.ErrNotFound)
	if ee.Op != "recupererIdentifiantsEtudiant" || !strings.Contains(ee.Msg, "nullretrieve") {
		t.Errorf("not found error = %+v", ee)
	}
	_, err = w.AdminInfo(ctx, "99999999")
	externalKind(t, err, domain.ErrNotFound)
}

func TestFault_Business(t *testing.T) {
	f := newFakeApogee(t, 500, apogeeFault(etudiant.Namespace, "technical", "parameter", "noncoherentinput", "codEtu", "Le code étudiant est incohérent"))
	_, err := newTestWS(t, f.srv.URL).Identity(context.Background(), "abc")
	ee := externalKind(t, err, domain.ErrPermanent)
	if !strings.Contains(ee.Msg, "Le code étudiant est incohérent") || !strings.Contains(ee.Msg, "noncoherentinput") {
		t.Errorf("message %q lacks the fault's reason", ee.Msg)
	}
	if domain.IsTransient(err) {
		t.Error("business fault marked transient")
	}
}

func TestFault_ApogeeDatabaseDown(t *testing.T) {
	f := newFakeApogee(t, 500, apogeeFault(etudiant.Namespace, "technical", "data", "transaction", "connexion", "Connexion impossible"))
	_, err := newTestWS(t, f.srv.URL).AdminInfo(context.Background(), "1")
	externalKind(t, err, domain.ErrTransient)
}

func TestHTTP500_Transient(t *testing.T) {
	f := newFakeApogee(t, 503, "<html><body>Service Unavailable</body></html>")
	_, err := newTestWS(t, f.srv.URL).Identity(context.Background(), "1")
	ee := externalKind(t, err, domain.ErrTransient)
	if !strings.Contains(ee.Msg, "503") {
		t.Errorf("message %q", ee.Msg)
	}
}

func TestHTTP404_Permanent(t *testing.T) {
	f := newFakeApogee(t, 404, "not found")
	_, err := newTestWS(t, f.srv.URL).Identity(context.Background(), "1")
	externalKind(t, err, domain.ErrPermanent)
}

func TestMalformedXML_Permanent(t *testing.T) {
	f := newFakeApogee(t, 200, `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><ns1:recupererIdentifiantsEtudiantResponse`)
	_, err := newTestWS(t, f.srv.URL).Identity(context.Background(), "1")
	ee := externalKind(t, err, domain.ErrPermanent)
	if ee.Op != "recupererIdentifiantsEtudiant" || !strings.Contains(ee.Msg, f.srv.URL) {
		t.Errorf("message %q should name the operation and the URL", err)
	}
	f2 := newFakeApogee(t, 200, envelope("x", `<ns1:autreChose xmlns:ns1="x"/>`))
	_, err = newTestWS(t, f2.srv.URL).Identity(context.Background(), "1")
	ee = externalKind(t, err, domain.ErrPermanent)
	if !strings.Contains(ee.Msg, "autreChose") {
		t.Errorf("unexpected content message %q", ee.Msg)
	}
}

func TestConnectionRefused_Transient(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	_, err = newTestWS(t, "http://user:s3cret@"+addr+"/apo").Identity(context.Background(), "1")
	externalKind(t, err, domain.ErrTransient)
	if strings.Contains(err.Error(), "s3cret") {
		t.Errorf("error leaks the password: %v", err)
	}
}

func TestTimeout_Transient(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	w, err := NewWS(WSConfig{BaseURL: srv.URL, Timeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	_, err = w.Identity(context.Background(), "1")
	ee := externalKind(t, err, domain.ErrTransient)
	if !strings.Contains(ee.Msg, "délai") {
		t.Errorf("timeout message %q", ee.Msg)
	}
}

// The schema check is real: an envelope gowsdl's runtime would have sent (children in
// the wrapper's namespace, parameters dropped) is refused.
func TestXSDCheck_RefusesGowsdlStyleEnvelope(t *testing.T) {
	bad := `<apo:recupererInfosAdmEtu_v4 xmlns:apo="gouv.education.apogee.commun.servicesmetiers.EtudiantMetier" xmlns="gouv.education.apogee.commun.servicesmetiers.EtudiantMetier"><_codEtu>1</_codEtu></apo:recupererInfosAdmEtu_v4>`
	if out, err := xsdCheck(t, "EtudiantMetier.wsdl", bad); err == nil {
		t.Errorf("qualified children accepted:\n%s", out)
	}
	empty := `<apo:recupererInfosAdmEtu_v4 xmlns:apo="gouv.education.apogee.commun.servicesmetiers.EtudiantMetier"></apo:recupererInfosAdmEtu_v4>`
	if out, err := xsdCheck(t, "EtudiantMetier.wsdl", empty); err == nil {
		t.Errorf("empty request accepted:\n%s", out)
	}
}
