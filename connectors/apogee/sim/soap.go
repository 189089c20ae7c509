package sim

import (
	"context"
	"database/sql"
	"fmt"
	"hypercerts/connectors/apogee/ws/etudiant"
	"hypercerts/connectors/apogee/ws/offreformation"
	"hypercerts/connectors/apogee/ws/pedagogique"
	"hypercerts/connectors/apogee/ws/referentiel"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // Europe/Paris on a machine without zoneinfo
)

// Namespaces of the Apogée 6.40.30 WSDLs (wrapper elements and the fault element).
const (
	nsSOAP = "http://schemas.xmlsoap.org/soap/envelope/"
	// nsSOAP12 is SOAP 1.2's envelope namespace, which Axis 1 also accepts.
	nsSOAP12 = "http://www.w3.org/2003/05/soap-envelope"
	nsXSI    = "http://www.w3.org/2001/XMLSchema-instance"
	nsXSD    = "http://www.w3.org/2001/XMLSchema"
	// NSException is the namespace of the WebBaseException type.
	NSException = "exception.transverse.commun.apogee.education.gouv"
)

// Services maps the path segment after /services/ to the body namespace.
var Services = map[string]string{
	offreformation.Service: offreformation.Namespace,
	etudiant.Service:       etudiant.Namespace,
	pedagogique.Service:    pedagogique.Namespace,
	referentiel.Service:    referentiel.Namespace,
}

type opFunc func(a *Apogee, ctx context.Context, req *node, x *w) *soapFault

var operations = map[string]struct {
	service string
	fn      opFunc
}{
	"recupererSE_v3":                               {offreformation.Service, (*Apogee).opSE},
	"recupererListeEtudiants":                      {etudiant.Service, (*Apogee).opListeEtudiants},
	"recupererIdentifiantsEtudiant":                {etudiant.Service, (*Apogee).opIdentifiants},
	"recupererInfosAdmEtu_v4":                      {etudiant.Service, (*Apogee).opInfosAdm},
	"recupererInfosAdmEtu_v3":                      {etudiant.Service, (*Apogee).opInfosAdm},
	"recupererContratPedagogiqueResultatVdiVet_v2": {pedagogique.Service, (*Apogee).opContrat},
	"recupererSignataire":                          {referentiel.Service, (*Apogee).opSignataire},
}

// soapFault is an Apogée WebBaseException.
type soapFault struct {
	code string // faultcode
	msg  string // faultstring = lastErrorMsg, e.g. technical.data.nullretrieve.etudiant
	// axis marks a fault of Axis itself (unknown operation or element, unreadable XML):
	// its detail has no WebBaseException, only Axis' hostname.
	axis bool
}

func noData(what string) *soapFault {
	return &soapFault{code: "soapenv:Server.userException", msg: "technical.data.nullretrieve." + what}
}

func badInput(what string) *soapFault {
	return &soapFault{code: "soapenv:Server.userException", msg: "technical.parameter.noncoherentinput." + what}
}

func dbFault(err error) *soapFault {
	return &soapFault{code: "soapenv:Server.userException", msg: "technical.data.transaction.connexion : " + err.Error()}
}

// Handler serves SOAP 1.1 at /services/<Service>.
func (a *Apogee) Handler() http.Handler {
	return http.HandlerFunc(a.serve)
}

func (a *Apogee) serve(rw http.ResponseWriter, r *http.Request) {
	service, ok := strings.CutPrefix(r.URL.Path, "/")
	if i := strings.Index(service, "services/"); ok && i >= 0 {
		service = service[i+len("services/"):]
	} else {
		http.NotFound(rw, r)
		return
	}
	ns, ok := Services[service]
	if !ok {
		http.NotFound(rw, r)
		return
	}
	if r.Method != http.MethodPost {
		rw.Header().Set("Allow", "POST")
		http.Error(rw, "SOAP : POST attendu", http.StatusMethodNotAllowed)
		return
	}
	env, err := parseXML(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		writeFault(rw, ns, &soapFault{code: "soapenv:Server.userException", msg: "org.xml.sax.SAXParseException: " + err.Error(), axis: true})
		return
	}
	if e := env.child("Envelope"); e != nil && e.space != nsSOAP && e.space != nsSOAP12 {
		// Axis' faultcode for an envelope of no known SOAP version (Constants.FAULT_VERSIONMISMATCH).
		writeFault(rw, ns, &soapFault{code: "soapenv:VersionMismatch", msg: "Version Mismatch", axis: true})
		return
	}
	var op *node
	if e := env.child("Envelope"); e != nil {
		if b := e.child("Body"); b != nil && len(b.kids) > 0 {
			op = b.kids[0]
		}
	}
	if op == nil {
		writeFault(rw, ns, &soapFault{code: "soapenv:Server.userException", msg: "org.xml.sax.SAXException: enveloppe SOAP sans corps", axis: true})
		return
	}
	def, ok := operations[op.name]
	if !ok || def.service != service {
		writeFault(rw, ns, &soapFault{code: "soapenv:Client", msg: "No such operation '" + op.name + "'", axis: true})
		return
	}
	if sf := checkRequest(op); sf != nil {
		writeFault(rw, ns, sf)
		return
	}
	a.mu.Lock()
	a.calls[op.name]++
	n := a.calls[op.name]
	f, hasFault := a.faults[op.name]
	a.mu.Unlock()
	delay := a.opts.Latency
	if hasFault && (f.Times == 0 || n <= f.Times) {
		delay += f.Delay
	} else {
		hasFault = false
	}
	if delay > 0 {
		t := time.NewTimer(delay)
		select {
		case <-r.Context().Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
	if hasFault {
		switch {
		case f.HTTPStatus != 0:
			http.Error(rw, http.StatusText(f.HTTPStatus), f.HTTPStatus)
			return
		case f.SOAPFault != "":
			writeFault(rw, ns, &soapFault{code: "soapenv:Server.userException", msg: f.SOAPFault})
			return
		}
	}
	x := &w{}
	x.b.WriteString(`<ns1:` + op.name + `Response xmlns:ns1="` + ns + `" xmlns:xsi="` + nsXSI + `">`)
	if sf := def.fn(a, r.Context(), op, x); sf != nil {
		writeFault(rw, ns, sf)
		return
	}
	x.b.WriteString(`</ns1:` + op.name + `Response>`)
	writeEnvelope(rw, http.StatusOK, x.b.String())
}

func writeEnvelope(rw http.ResponseWriter, status int, body string) {
	rw.Header().Set("Content-Type", "text/xml; charset=utf-8")
	rw.WriteHeader(status)
	io.WriteString(rw, `<?xml version="1.0" encoding="utf-8"?><soapenv:Envelope xmlns:soapenv="`+nsSOAP+
		`" xmlns:xsd="`+nsXSD+`" xmlns:xsi="`+nsXSI+`"><soapenv:Body>`+body+`</soapenv:Body></soapenv:Envelope>`)
}

// writeFault answers like Axis 1 does for a WebBaseException: HTTP 500, a SOAP fault
// whose detail holds the "fault" element the WSDL declares (in the service namespace,
// of type WebBaseException from NSException), unqualified children.
func writeFault(rw http.ResponseWriter, ns string, f *soapFault) {
	parts := strings.SplitN(strings.SplitN(f.msg, " ", 2)[0], ".", 4)
	for len(parts) < 4 {
		parts = append(parts, "")
	}
	x := &w{}
	x.b.WriteString(`<soapenv:Fault><faultcode>` + f.code + `</faultcode>`)
	x.str("faultstring", f.msg)
	if f.axis {
		x.b.WriteString(`<detail><ns1:hostname xmlns:ns1="http://xml.apache.org/axis/">apogee-sim</ns1:hostname></detail></soapenv:Fault>`)
		writeEnvelope(rw, http.StatusInternalServerError, x.b.String())
		return
	}
	x.b.WriteString(`<detail><ns1:fault xmlns:ns1="` + ns + `" xmlns:xsi="` + nsXSI + `">`)
	x.optS("domaine", parts[2])
	x.optS("element", parts[3])
	x.open("messages")
	x.str("item", f.msg)
	x.close("messages")
	x.optS("nature", parts[0])
	x.optS("type", parts[1])
	x.str("lastErrorMsg", f.msg)
	x.b.WriteString(`</ns1:fault><ns2:hostname xmlns:ns2="http://xml.apache.org/axis/">apogee-sim</ns2:hostname></detail></soapenv:Fault>`)
	writeEnvelope(rw, http.StatusInternalServerError, x.b.String())
}

// wild is the WS convention: "", "tous" mean any value.
func wild(s string) string {
	if strings.EqualFold(s, "tous") || strings.EqualFold(s, "aucun") {
		return ""
	}
	return s
}

func (a *Apogee) opSE(ctx context.Context, req *node, x *w) *soapFault {
	c := req.child("_seCritere")
	if c == nil {
		return badInput("seCritere")
	}
	anu, dip, vdi, etp, vet := wild(c.val("codAnu")), wild(c.val("codDip")), wild(c.val("codVrsVdi")), wild(c.val("codEtp")), wild(c.val("codVrsVet"))
	rows, err := a.db.QueryContext(ctx, `
SELECT d.cod_dip, d.lib_dip, v.cod_vrs_vdi, v.lic_vdi, v.lib_web_vdi, pt.cod_prt, pt.lib_prt, pt.tem_en_sve_prt,
       e.cod_etp, e.lic_etp, e.lib_etp, ve.cod_vrs_vet, ve.lib_web_vet, vfv.cod_sis_daa_min, vfv.cod_sis_daa_max
  FROM diplome d
  JOIN version_diplome v ON v.cod_dip = d.cod_dip
  JOIN vdi_fractionner_vet vfv ON vfv.cod_dip = v.cod_dip AND vfv.cod_vrs_vdi = v.cod_vrs_vdi
  JOIN etape e ON e.cod_etp = vfv.cod_etp
  JOIN version_etape ve ON ve.cod_etp = vfv.cod_etp AND ve.cod_vrs_vet = vfv.cod_vrs_vet
  LEFT JOIN parcours_type pt ON pt.cod_prt = v.cod_prt
 WHERE (?1 = '' OR d.cod_dip = ?1) AND (?2 = '' OR v.cod_vrs_vdi = ?2)
   AND (?3 = '' OR vfv.cod_etp = ?3) AND (?4 = '' OR vfv.cod_vrs_vet = ?4)
   AND (?5 = '' OR (vfv.daa_deb_rct_vet <= ?5 AND vfv.daa_fin_rct_vet >= ?5))
 ORDER BY d.cod_dip, v.cod_vrs_vdi, e.cod_etp, ve.cod_vrs_vet`, dip, vdi, etp, vet, anu)
	if err != nil {
		return dbFault(err)
	}
	defer rows.Close()
	type rec struct {
		dip, libDip, vrs, lic, web                    string
		prt, libPrt, svePrt                           sql.NullString
		etp, licEtp, libEtp, vrsVet, webVet, min, max string
	}
	var recs []rec
	for rows.Next() {
		var r rec
		if err := rows.Scan(&r.dip, &r.libDip, &r.vrs, &r.lic, &r.web, &r.prt, &r.libPrt, &r.svePrt,
			&r.etp, &r.licEtp, &r.libEtp, &r.vrsVet, &r.webVet, &r.min, &r.max); err != nil {
			return dbFault(err)
		}
		recs = append(recs, r)
	}
	if err := rows.Err(); err != nil {
		return dbFault(err)
	}
	if len(recs) == 0 {
		return noData("recupererse")
	}
	for i := 0; i < len(recs); {
		d := recs[i]
		x.open("recupererSE_v3Return")
		x.str("codDip", d.dip)
		x.nil("cycle")
		x.str("libDip", d.libDip)
		x.nil("listGroupeDiplome")
		x.open("listVersionDiplome")
		for i < len(recs) && recs[i].dip == d.dip {
			v := recs[i]
			x.open("item")
			x.nil("codCursusLmd", "codRNCPRS")
			x.str("codVrsVdi", v.vrs)
			x.nil("credits", "ecoleDoctorale")
			x.str("libCourtVdi", v.lic)
			x.str("libWebVdi", v.web)
			x.nil("respVdi", "comue", "temOffCom")
			x.open("offreFormation")
			x.nil("listChampDisciplinaire", "codFinalite", "codMention")
			x.opt("codParcoursType", v.prt)
			x.nil("codSpecialite", "habilitation", "libFinalite", "libMention")
			x.opt("libParcoursType", v.libPrt)
			x.nil("libSpecialite", "listDomaineFormation", "refSise")
			x.open("listEtape")
			for i < len(recs) && recs[i].dip == d.dip && recs[i].vrs == v.vrs {
				e := recs[i]
				x.open("item")
				x.str("codEtp", e.etp)
				x.str("libCourtEtp", e.licEtp)
				x.str("libEtp", e.libEtp)
				x.nil("listComposanteCentreGestion")
				x.open("listVersionEtape")
				for i < len(recs) && recs[i].dip == d.dip && recs[i].vrs == v.vrs && recs[i].etp == e.etp {
					t := recs[i]
					x.open("item")
					x.nil("centreInsPedADistance")
					x.str("codVrsVet", t.vrsVet)
					x.nil("commentaireVrsEtp", "composante", "convention", "credits", "duree", "cursusAmg")
					x.str("libWebVet", t.webVet)
					x.nil("listCentreInsPedagogiVet", "listListeElementPedagogi", "temEnSveDuree", "temTeleEns", "volume")
					x.str("codSisDaaMin", t.min)
					x.str("codSisDaaMax", t.max)
					x.nil("temHebVet", "codParcoursType", "libParcoursType", "temEnSveParcoursType")
					x.close("item")
					i++
				}
				x.close("listVersionEtape")
				x.str("temOuvertRecrutement", "O")
				x.str("temOuvertValidation", "O")
				x.close("item")
			}
			x.close("listEtape")
			x.nil("temEnSveFinalite", "temEnSveMention")
			x.opt("temEnSveParcoursType", v.svePrt)
			x.nil("temEnSveSpecialite")
			x.close("offreFormation")
			x.close("item")
		}
		x.close("listVersionDiplome")
		x.nil("natureDiplome", "niveauInterministeriel", "secteurDisciplinaire")
		x.str("temOuvertRecrutement", "O")
		x.nil("etbHab", "cmpAcc")
		x.str("temOuvertValidation", "O")
		x.nil("typeDiplome")
		x.close("recupererSE_v3Return")
	}
	return nil
}

func firstItem(list *node) (code, version string) {
	if list == nil {
		return "", ""
	}
	it := list.child("item")
	if it == nil {
		return "", ""
	}
	return wild(it.val("code")), wild(it.val("listVersion"))
}

// isoDay keeps 2001-05-14 out of a DATE column (the driver may add a time part).
func isoDay(s string) string {
	if len(s) > 10 {
		return s[:10]
	}
	return s
}

// paris is the zone Apogée's DATE columns are in (midnight, Paris time).
var paris = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		panic(err) // time/tzdata is embedded
	}
	return loc
}()

// axisDateTime writes a DATE column as Axis 1 serialises a java.util.Date: the instant
// of midnight in Paris, in GMT, with milliseconds and Z (CalendarSerializer, zone GMT):
// 1999-05-14 gives 1999-05-13T22:00:00.000Z, 2000-01-14 gives 2000-01-13T23:00:00.000Z.
func axisDateTime(day string) string {
	d, err := time.ParseInLocation("2006-01-02", isoDay(day), paris)
	if err != nil {
		return day
	}
	return d.UTC().Format("2006-01-02T15:04:05.000Z")
}

// frDate turns 2001-05-14 into 14/05/2001.
func frDate(iso string) string {
	iso = isoDay(iso)
	if len(iso) < 10 {
		return iso
	}
	return iso[8:10] + "/" + iso[5:7] + "/" + iso[0:4]
}

func (a *Apogee) opListeEtudiants(ctx context.Context, req *node, x *w) *soapFault {
	p := req.child("_parametres")
	if p == nil || p.val("annee") == "" {
		return badInput("annee")
	}
	dip, vdi := firstItem(p.child("listDiplomes"))
	etp, vet := firstItem(p.child("listEtapes"))
	rows, err := a.db.QueryContext(ctx, `
SELECT DISTINCT i.cod_etu, i.lib_nom_pat_ind, i.lib_pr1_ind, i.date_nai_ind, i.cod_nne_ind || i.cod_cle_nne_ind
  FROM ins_adm_etp iae JOIN individu i ON i.cod_ind = iae.cod_ind
 WHERE iae.cod_anu = ?1 AND iae.eta_iae = 'E'
   AND (?2 = '' OR iae.cod_dip = ?2) AND (?3 = '' OR iae.cod_vrs_vdi = ?3)
   AND (?4 = '' OR iae.cod_etp = ?4) AND (?5 = '' OR iae.cod_vrs_vet = ?5)
 ORDER BY i.lib_nom_pat_ind, i.lib_pr1_ind, i.cod_etu`, p.val("annee"), dip, vdi, etp, vet)
	if err != nil {
		return dbFault(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var etu, nom, prenom, nai, ine string
		if err := rows.Scan(&etu, &nom, &prenom, &nai, &ine); err != nil {
			return dbFault(err)
		}
		x.open("etudiant")
		x.str("codEtu", etu)
		x.str("nom", nom)
		x.str("prenom", prenom)
		x.str("dateNaissance", frDate(nai))
		x.str("numeroIne", ine)
		x.close("etudiant")
		n++
	}
	if err := rows.Err(); err != nil {
		return dbFault(err)
	}
	if n == 0 {
		return noData("etudiant")
	}
	return nil
}

// individual finds cod_ind from a request carrying _codEtu (or _codInd / _numINE).
func (a *Apogee) individual(ctx context.Context, req *node) (int64, *soapFault) {
	etu, ind, ine := req.val("_codEtu"), req.val("_codInd"), req.val("_numINE")
	var q string
	var arg any
	switch {
	case etu != "":
		v, err := strconv.ParseInt(etu, 10, 64)
		if err != nil {
			return 0, badInput("codEtu")
		}
		q, arg = "SELECT cod_ind FROM individu WHERE cod_etu = ?", v
	case ind != "":
		v, err := strconv.ParseInt(ind, 10, 64)
		if err != nil {
			return 0, badInput("codInd")
		}
		q, arg = "SELECT cod_ind FROM individu WHERE cod_ind = ?", v
	case ine != "":
		ine = strings.ToUpper(ine + req.val("_cleINE"))
		q, arg = "SELECT cod_ind FROM individu WHERE cod_nne_ind || cod_cle_nne_ind = ?", ine
		if len(ine) == 10 {
			q = "SELECT cod_ind FROM individu WHERE cod_nne_ind = ?"
		}
	default:
		return 0, badInput("codEtu")
	}
	var codInd int64
	err := a.db.QueryRowContext(ctx, q, arg).Scan(&codInd)
	if err == sql.ErrNoRows {
		return 0, noData("etudiant")
	}
	if err != nil {
		return 0, dbFault(err)
	}
	return codInd, nil
}

func (a *Apogee) opIdentifiants(ctx context.Context, req *node, x *w) *soapFault {
	ind, sf := a.individual(ctx, req)
	if sf != nil {
		return sf
	}
	var etu, nne, cle string
	var login, mail, brs sql.NullString
	err := a.db.QueryRowContext(ctx, `
SELECT i.cod_etu, i.cod_nne_ind, i.cod_cle_nne_ind, an.login, an.mail, i.num_brs_etu
  FROM individu i LEFT JOIN sim_annuaire an ON an.cod_ind = i.cod_ind WHERE i.cod_ind = ?`, ind).
		Scan(&etu, &nne, &cle, &login, &mail, &brs)
	if err != nil {
		return dbFault(err)
	}
	if strings.EqualFold(req.val("_temoinRecupAnnu"), "N") {
		login, mail = sql.NullString{}, sql.NullString{}
	}
	x.open("recupererIdentifiantsEtudiantReturn")
	x.str("cleINE", cle)
	x.str("codEtu", etu)
	x.str("codInd", strconv.FormatInt(ind, 10))
	x.opt("emailAnnuaire", mail)
	x.opt("loginAnnuaire", login)
	x.opt("numBoursier", brs)
	x.str("numeroINE", nne)
	x.close("recupererIdentifiantsEtudiantReturn")
	return nil
}

func (a *Apogee) opInfosAdm(ctx context.Context, req *node, x *w) *soapFault {
	ind, sf := a.individual(ctx, req)
	if sf != nil {
		return sf
	}
	var etu, nne, cle, nom, pr1, nai, vil, sex string
	var pr2, pr3, usu sql.NullString
	err := a.db.QueryRowContext(ctx, `
SELECT cod_etu, cod_nne_ind, cod_cle_nne_ind, lib_nom_pat_ind, lib_nom_usu_ind, lib_pr1_ind, lib_pr2_ind,
       lib_pr3_ind, date_nai_ind, lib_vil_nai_etu, cod_sex_etu
  FROM individu WHERE cod_ind = ?`, ind).Scan(&etu, &nne, &cle, &nom, &usu, &pr1, &pr2, &pr3, &nai, &vil, &sex)
	if err != nil {
		return dbFault(err)
	}
	rows, err := a.db.QueryContext(ctx, `
SELECT b.cod_blo, b.lib_blo, t.cod_typ_blo, t.lib_typ_blo, e.cod_etp, e.lib_etp
  FROM ind_subir_blocage isb
  JOIN blocage b ON b.cod_blo = isb.cod_blo
  JOIN typ_blocage t ON t.cod_typ_blo = b.cod_typ_blo
  LEFT JOIN etape e ON e.cod_etp = isb.cod_etp
 WHERE isb.cod_ind = ? ORDER BY b.cod_blo`, ind)
	if err != nil {
		return dbFault(err)
	}
	defer rows.Close()
	var blk w
	nb := 0
	for rows.Next() {
		var cod, lib, tcod, tlib string
		var etp, libEtp sql.NullString
		if err := rows.Scan(&cod, &lib, &tcod, &tlib, &etp, &libEtp); err != nil {
			return dbFault(err)
		}
		blk.open("item")
		blk.str("codBlocage", cod)
		if etp.Valid {
			blk.open("etapeBlocage")
			blk.str("codEtp", etp.String)
			blk.opt("libEtp", libEtp)
			blk.close("etapeBlocage")
		} else {
			blk.nil("etapeBlocage")
		}
		blk.str("libBlocage", lib)
		blk.open("typBlocage")
		blk.str("codTypBlocage", tcod)
		blk.str("libTypBlocage", tlib)
		blk.close("typBlocage")
		blk.close("item")
		nb++
	}
	if err := rows.Err(); err != nil {
		return dbFault(err)
	}
	ret := req.name + "Return"
	x.open(ret)
	x.nil("anneePremiereInscEnsSup", "anneePremiereInscEtb", "anneePremiereInscEtr", "anneePremiereInscUniv", "listeBacs")
	if nb == 0 {
		x.nil("listeBlocages")
	} else {
		x.open("listeBlocages")
		x.b.WriteString(blk.b.String())
		x.close("listeBlocages")
	}
	x.str("dateNaissance", axisDateTime(nai))
	x.nil("departementNaissance", "etbPremiereInscUniv", "handicap")
	x.str("libVilleNaissance", vil)
	x.nil("nationaliteDTO")
	x.str("nomPatronymique", nom)
	x.opt("nomUsuel", usu)
	x.nil("numBoursier")
	x.str("numEtu", etu)
	x.str("numeroINE", nne+cle)
	x.nil("paysNaissance")
	x.str("prenom1", pr1)
	x.opt("prenom2", pr2)
	x.opt("prenom3", pr3)
	x.nil("prenomEtatCivil")
	x.str("sexe", sex)
	x.nil("sexEtatCivil", "situationFamiliale", "situationMilitaire")
	x.str("temoinDateNaissEstimee", "N")
	x.nil("temoinSitMilEnRegle")
	x.close(ret)
	return nil
}

var sessionLabels = map[string]string{"0": "Session unique", "1": "Session 1", "2": "Session 2"}
var etatDelibLabels = map[string]string{"T": "Terminée", "E": "En cours", "N": "Non commencée"}

func (a *Apogee) opContrat(ctx context.Context, req *node, x *w) *soapFault {
	etu := req.val("_codEtu")
	etuN, err := strconv.ParseInt(etu, 10, 64)
	if err != nil {
		return badInput("codEtu")
	}
	anu, delib, etaIae := wild(req.val("_codAnu")), wild(req.val("_etatDelib")), wild(req.val("_codEtaIae"))
	// Strict like a server that reads "" as a value: only "toutes"/"tous" mean every
	// session and every result type; an empty _codSes or _typeRes matches no result.
	ses, typeRes := req.val("_codSes"), req.val("_typeRes")
	noResult := ses == "" || typeRes == ""
	if strings.EqualFold(ses, "toutes") || strings.EqualFold(ses, "tous") {
		ses = ""
	}
	if strings.EqualFold(typeRes, "tous") || strings.EqualFold(typeRes, "toutes") {
		typeRes = ""
	}
	rows, err := a.db.QueryContext(ctx, `
SELECT iae.cod_anu, iae.cod_ind, d.cod_dip, v.cod_vrs_vdi, d.lib_dip, v.lib_web_vdi, v.lic_vdi,
       e.cod_etp, ve.cod_vrs_vet, e.lib_etp, ve.lib_web_vet, ve.tem_dip_vet
  FROM individu i
  JOIN ins_adm_etp iae ON iae.cod_ind = i.cod_ind
  JOIN diplome d ON d.cod_dip = iae.cod_dip
  JOIN version_diplome v ON v.cod_dip = iae.cod_dip AND v.cod_vrs_vdi = iae.cod_vrs_vdi
  JOIN etape e ON e.cod_etp = iae.cod_etp
  JOIN version_etape ve ON ve.cod_etp = iae.cod_etp AND ve.cod_vrs_vet = iae.cod_vrs_vet
 WHERE i.cod_etu = ?1 AND (?2 = '' OR iae.cod_anu = ?2) AND (?3 = '' OR iae.eta_iae = ?3)
 ORDER BY iae.cod_anu, d.cod_dip, v.cod_vrs_vdi, e.cod_etp, ve.cod_vrs_vet`, etuN, anu, etaIae)
	if err != nil {
		return dbFault(err)
	}
	type rec struct{ anu, ind, dip, vrs, libDip, web, lic, etp, vet, libEtp, webVet, temDip string }
	var recs []rec
	for rows.Next() {
		var r rec
		if err := rows.Scan(&r.anu, &r.ind, &r.dip, &r.vrs, &r.libDip, &r.web, &r.lic, &r.etp, &r.vet, &r.libEtp, &r.webVet, &r.temDip); err != nil {
			rows.Close()
			return dbFault(err)
		}
		recs = append(recs, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return dbFault(err)
	}
	if len(recs) == 0 {
		return noData("findIAE")
	}
	for i := 0; i < len(recs); {
		c := recs[i]
		x.open("recupererContratPedagogiqueResultatVdiVet_v2Return")
		x.str("annee", c.anu)
		x.nil("datObtVdi", "datValDip")
		x.open("diplome")
		x.str("codDip", c.dip)
		x.str("codVrsVdi", c.vrs)
		x.str("libDip", c.libDip)
		x.str("libWebVdi", c.web)
		x.str("licVdi", c.lic)
		x.close("diplome")
		x.open("etapes")
		for i < len(recs) && recs[i].anu == c.anu && recs[i].dip == c.dip && recs[i].vrs == c.vrs {
			e := recs[i]
			x.open("item")
			x.str("codAnu", e.anu)
			x.nil("codTypIpe", "libTypIpe")
			x.open("etape")
			x.str("codEtp", e.etp)
			x.str("codVrsVet", e.vet)
			x.str("libEtp", e.libEtp)
			x.str("libWebVet", e.webVet)
			x.str("temDipVet", e.temDip)
			x.nil("libEtatIae")
			x.close("etape")
			x.nil("groupes", "resultatVet")
			x.close("item")
			i++
		}
		x.close("etapes")
		if noResult {
			x.nil("resultatVdi")
		} else if sf := a.resultsVdi(ctx, x, c.ind, c.dip, c.vrs, c.anu, delib, ses, typeRes); sf != nil {
			return sf
		}
		x.close("recupererContratPedagogiqueResultatVdiVet_v2Return")
	}
	return nil
}

// resultsVdi writes a contract's VDI results. The deliberation state (etatDelib, and
// the _etatDelib filter) is the result group's: GRP_RESULTAT_VDI joined on its key, as
// Apogée keeps it (docs/apogee-sim.md).
func (a *Apogee) resultsVdi(ctx context.Context, x *w, ind, dip, vrs, anu, delib, ses, typeRes string) *soapFault {
	rows, err := a.db.QueryContext(ctx, `
SELECT r.bar_not_vdi, g.eta_avc_vdi, r.cod_men, m.lib_men, r.cod_adm, r.nbr_crd_vdi, r.not_vdi, r.cod_ses,
       t.cod_neg_tre, r.cod_tre, t.lib_tre
  FROM resultat_vdi r
  JOIN grp_resultat_vdi g ON g.cod_dip = r.cod_dip AND g.cod_vrs_vdi = r.cod_vrs_vdi AND g.cod_anu = r.cod_anu
                         AND g.cod_ses = r.cod_ses AND g.cod_adm = r.cod_adm
  LEFT JOIN mention m ON m.cod_men = r.cod_men
  LEFT JOIN typ_resultat t ON t.cod_tre = r.cod_tre
 WHERE r.cod_ind = ?1 AND r.cod_dip = ?2 AND r.cod_vrs_vdi = ?3 AND r.cod_anu = ?4
   AND (?5 = '' OR g.eta_avc_vdi = ?5) AND (?6 = '' OR r.cod_ses = ?6) AND (?7 = '' OR r.cod_tre = ?7)
 ORDER BY r.cod_ses, r.cod_adm`, ind, dip, vrs, anu, delib, ses, typeRes)
	if err != nil {
		return dbFault(err)
	}
	defer rows.Close()
	var items w
	n := 0
	for rows.Next() {
		var bar, avc, men, libMen, adm, crd, not, codSes, neg, tre, libTre sql.NullString
		if err := rows.Scan(&bar, &avc, &men, &libMen, &adm, &crd, &not, &codSes, &neg, &tre, &libTre); err != nil {
			return dbFault(err)
		}
		items.open("item")
		items.opt("barNotVdi", bar)
		items.open("etatDelib")
		items.opt("codEtaAvc", avc)
		items.optS("libEtaAvc", etatDelibLabels[avc.String])
		items.close("etatDelib")
		if men.Valid {
			items.open("mention")
			items.str("codMen", men.String)
			items.opt("libMen", libMen)
			items.close("mention")
		} else {
			items.nil("mention")
		}
		items.open("natureResultat")
		items.opt("codAdm", adm)
		if adm.String == "1" {
			items.str("libAdm", "Admission")
		} else {
			items.str("libAdm", "Admissibilité")
		}
		items.close("natureResultat")
		items.opt("nbrCrdVdi", crd)
		items.nil("nbrRngEtuVdi", "nbrRngEtuVdiTot", "notPntJurVdi")
		items.opt("notVdi", not)
		items.open("session")
		items.opt("codSes", codSes)
		items.optS("libSes", sessionLabels[codSes.String])
		items.close("session")
		items.open("typResultat")
		items.opt("codNegTre", neg)
		items.opt("codTre", tre)
		items.opt("libTre", libTre)
		items.close("typResultat")
		items.close("item")
		n++
	}
	if err := rows.Err(); err != nil {
		return dbFault(err)
	}
	if n == 0 {
		x.nil("resultatVdi")
		return nil
	}
	x.open("resultatVdi")
	x.b.WriteString(items.b.String())
	x.close("resultatVdi")
	return nil
}

func (a *Apogee) opSignataire(ctx context.Context, req *node, x *w) *soapFault {
	cod, sve := wild(req.val("_codSig")), wild(req.val("_temoinEnService"))
	rows, err := a.db.QueryContext(ctx, `
SELECT cod_sig, nom_sig, qua_sig, tem_en_sve_sig FROM signataire
 WHERE (?1 = '' OR cod_sig = ?1) AND (?2 = '' OR tem_en_sve_sig = ?2) ORDER BY cod_sig`, cod, sve)
	if err != nil {
		return dbFault(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var c, nom, qua, tem sql.NullString
		if err := rows.Scan(&c, &nom, &qua, &tem); err != nil {
			return dbFault(err)
		}
		x.open("recupererSignataireReturn")
		x.opt("codSig", c)
		x.opt("nomSig", nom)
		x.opt("quaSig", qua)
		x.opt("temEnSveSig", tem)
		x.close("recupererSignataireReturn")
		n++
	}
	if err := rows.Err(); err != nil {
		return dbFault(err)
	}
	if n == 0 {
		return noData("signataire")
	}
	return nil
}

// String makes faults readable in logs.
func (f *soapFault) String() string { return fmt.Sprintf("%s: %s", f.code, f.msg) }
