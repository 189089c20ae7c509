package sim

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"strings"

	"hypercerts/internal/textfold"
)

// The deterministic generator: everything below depends only on Options.Seed and
// Options.Students, never on time or map order.

const (
	firstEtu = 21000001
	firstInd = 300001
)

type person struct {
	ind, etu              int
	last, first1, first2  string
	sex, birth, town, nat string
	email                 string
}

type res struct{ ses, adm, tre, men, dlv string }

type caseSpec struct {
	name    string
	dip     string
	vets    []string
	results []res
	block   string
	noEmail bool
	last    string
	first1  string
	first2  string
}

// pendingGroup is the one result group (GRP_RESULTAT_VDI) whose deliberation is still
// in progress (ETA_AVC_VDI 'E'); every other group is deliberated ('T'). Apogée keeps
// the state per VDI version, year, session and admission/admissibility, so a pending
// deliberation concerns everybody in the group: here the Master Chimie's M2, whose
// session 1 jury, as often for an M2 with an internship, has not concluded yet. Its
// session 2 has not been held either, so the group's students have no session 2
// result. ~3 % of the graduating students with a result are in it.
var pendingGroup = struct{ dip, anu, ses string }{"MCHIM", CaseYear, "1"}

// The rule cases; all in year CaseYear.
var caseSpecs = []caseSpec{
	{name: "admitted", dip: "LMATH", vets: []string{"L3MATH"}, results: []res{{"1", "1", "ADM", "AB", "O"}}, last: "Lefèvre", first1: "Élodie"},
	{name: "mention_p", dip: "LMATH", vets: []string{"L3MATH"}, results: []res{{"1", "1", "ADM", "P", "O"}}, last: "Bréhault", first1: "Loïc"},
	{name: "mention_b", dip: "LMATH", vets: []string{"L3MATH"}, results: []res{{"1", "1", "ADM", "B", "O"}}, last: "N'Diaye", first1: "Fatoumata"},
	{name: "mention_tb", dip: "LMATH", vets: []string{"L3MATH"}, results: []res{{"1", "1", "ADM", "TB", "O"}}, last: "de La Fontaine", first1: "Jean-Baptiste", first2: "Noël"},
	{name: "two_first_names", dip: "LMATH", vets: []string{"L3MATH"}, results: []res{{"1", "1", "ADM", "P", "O"}}, last: "D'Almeida", first1: "Marie-Hélène", first2: "Anaïs"},
	{name: "non_latin1", dip: "LMATH", vets: []string{"L3MATH"}, results: []res{{"1", "1", "ADM", "AB", "O"}}, last: "Nguyễn", first1: "Thị Minh Anh"},
	{name: "non_latin1_pl", dip: "LMATH", vets: []string{"L3MATH"}, results: []res{{"1", "1", "ADM", "B", "O"}}, last: "Wiśniewska", first1: "Łukasz"},
	{name: "non_latin1_tr", dip: "LMATH", vets: []string{"L3MATH"}, results: []res{{"1", "1", "ADM", "P", "O"}}, last: "Yılmaz", first1: "Şeyma"},
	{name: "not_admitted", dip: "LMATH", vets: []string{"L3MATH"}, results: []res{{"1", "1", "AJ", "", "N"}, {"2", "1", "AJ", "", "N"}}},
	{name: "no_verdict", dip: "LMATH", vets: []string{"L3MATH"}},
	// In pendingGroup: the whole group's deliberation is pending, not this student's.
	{name: "deliberation_pending", dip: pendingGroup.dip, vets: []string{"M2CHVE"}, results: []res{{pendingGroup.ses, "1", "ADM", "P", "O"}}},
	{name: "verdict_null", dip: "LMATH", vets: []string{"L3MATH"}, results: []res{{"1", "1", "ABJ", "", "N"}}},
	{name: "admissibility_only", dip: "LMATH", vets: []string{"L3MATH"}, results: []res{{"1", "0", "ADM", "", "O"}}},
	{name: "session2_overrides", dip: "LMATH", vets: []string{"L3MATH"}, results: []res{{"1", "1", "AJ", "", "N"}, {"2", "1", "ADM", "P", "O"}}},
	{name: "session1_pass_later_fail", dip: "LMATH", vets: []string{"L3MATH"}, results: []res{{"1", "1", "ADM", "AB", "O"}, {"2", "1", "AJ", "", "N"}}},
	{name: "delivery_not_authorised", dip: "LMATH", vets: []string{"L3MATH"}, results: []res{{"1", "1", "ADM", "B", "N"}}},
	{name: "blocked_exams", dip: "LMATH", vets: []string{"L3MATH"}, results: []res{{"1", "1", "ADM", "P", "O"}}, block: "BEX1"},
	{name: "blocked_registration", dip: "LMATH", vets: []string{"L3MATH"}, results: []res{{"1", "1", "ADM", "P", "O"}}, block: "BIN1"},
	{name: "blocked_remote_registration", dip: "LMATH", vets: []string{"L3MATH"}, results: []res{{"1", "1", "ADM", "P", "O"}}, block: "BIW1"},
	{name: "blocked_diploma_delivery", dip: "LMATH", vets: []string{"L3MATH"}, results: []res{{"1", "1", "ADM", "P", "O"}}, block: "BDI1"},
	{name: "no_email", dip: "LMATH", vets: []string{"L3MATH"}, results: []res{{"1", "1", "ADM", "AB", "O"}}, noEmail: true},
	{name: "two_vets", dip: "LINFO", vets: []string{"L3INFN", "L3INFE"}, results: []res{{"1", "1", "ADM", "B", "O"}}},
	{name: "single_session", dip: "LPMETI", vets: []string{"LPASSR"}, results: []res{{"0", "1", "ADM", "TB", "O"}}},
}

type gen struct {
	r      *rand.Rand
	tx     *sql.Tx
	ctx    context.Context
	stmts  map[string]*sql.Stmt
	n      int
	emails map[string]int
	cases  map[string]string
	groups map[groupKey]bool // the GRP_RESULTAT_VDI rows written
	err    error
}

type groupKey struct {
	dip      string
	vrs      int
	anu, ses string
	adm      string
}

func (g *gen) ins(table string, vals ...any) {
	if g.err != nil {
		return
	}
	st, ok := g.stmts[table]
	if !ok {
		q := "INSERT INTO " + table + " VALUES (" + strings.TrimSuffix(strings.Repeat("?,", len(vals)), ",") + ")"
		st, g.err = g.tx.PrepareContext(g.ctx, q)
		if g.err != nil {
			g.err = fmt.Errorf("%s: %w", table, g.err)
			return
		}
		g.stmts[table] = st
	}
	if _, err := st.ExecContext(g.ctx, vals...); err != nil {
		g.err = fmt.Errorf("%s %v: %w", table, vals, err)
	}
}

func null(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func findVDI(dip string) *vdiDef {
	for i := range catalog {
		if catalog[i].dip == dip {
			return &catalog[i]
		}
	}
	panic("sim: unknown diploma " + dip)
}

func (d *vdiDef) vet(etp string) vetDef {
	for _, v := range d.vets {
		if v.etp == etp {
			return v
		}
	}
	panic("sim: unknown stage " + etp)
}

func (g *gen) static(key string) {
	g.ins("ANNEE_UNI", "2023", "Année universitaire 2023-2024", "2023-2024", "N", "N")
	g.ins("ANNEE_UNI", "2024", "Année universitaire 2024-2025", "2024-2025", "O", "O")
	g.ins("ANNEE_UNI", "2025", "Année universitaire 2025-2026", "2025-2026", "O", "N")
	for _, c := range components {
		g.ins("COMPOSANTE", c.code, c.tpc, c.lib, "O")
	}
	g.ins("TYP_UTILISATEUR", "SCOL", "Gestionnaire de scolarité", "O")
	g.ins("TYP_UTILISATEUR", "CONS", "Consultation", "O")
	g.ins("TUT_AVOIR_DROIT_FCT", "SCOL", "RE", "TRAREF10")
	g.ins("TUT_AVOIR_DROIT_FCT", "SCOL", "RE", "TRAREF01")
	g.ins("TUT_AVOIR_DROIT_FCT", "CONS", "RE", "TRAREF01")
	g.ins("TUT_AVOIR_DROIT_FCT", "CONS", "IA", "TRAREF10") // right function, wrong domain
	g.ins("UTILISATEUR", DemoUser, "SCOL", "scolarite.sciences@univ-demo.fr", "Sophie Gérard-Morel", "O", "SCI")
	g.ins("UTILISATEUR", NoRightsUser, "CONS", "consultation@univ-demo.fr", "Paul Chevalier", "O", "SCI")
	g.ins("UTILISATEUR", IUTUser, "SCOL", "scolarite.iut@univ-demo.fr", "Karim Haddad", "O", "IUT")
	for _, c := range []string{"SCI", "LLS", "DEG"} {
		g.ins("UTI_COLLECTER_CTN", DemoUser, c)
	}
	g.ins("UTI_COLLECTER_CTN", NoRightsUser, "SCI")
	g.ins("UTI_COLLECTER_CTN", IUTUser, "IUT")
	for _, p := range prefixes {
		g.ins("PREFIXE_INT", p[0], p[1])
	}
	for _, p := range parcoursTypes {
		g.ins("PARCOURS_TYPE", p[0], p[1], "O")
	}
	for _, d := range catalog {
		sesUni := "N"
		if d.sesUni {
			sesUni = "O"
		}
		g.ins("DIPLOME", d.dip, d.libDip, d.licDip, d.ndi, d.dip[:2])
		g.ins("VERSION_DIPLOME", d.dip, d.vrs, d.lic, d.web, "2017", d.finHab, sesUni,
			null(d.prf1), null(d.prf2), nil, null(d.it1), null(d.it2), nil, d.ter, null(d.prt), d.cmp)
		if d.habilitated {
			g.ins("CMP_HABILITER_VDI", d.cmp, d.dip, d.vrs, "O")
		}
		if d.intermediate != "" {
			g.ins("VDI_NEC_OBT_VDI", d.dip, d.vrs, d.intermediate, findVDI(d.intermediate).vrs)
		}
		g.ins("PERIODE_PARAM_EDITION", d.dip, d.vrs, "2017", d.finHab, d.tit, null(d.dom))
		for i, v := range d.vets {
			g.ins("ETAPE", v.etp, v.lib, strings.ToUpper(v.etp), "1")
			dip := "N"
			if v.grad {
				dip = "O"
			}
			g.ins("VERSION_ETAPE", v.etp, v.vrs, v.lib, dip, sesUni, d.cmp)
			g.ins("VDI_FRACTIONNER_VET", d.dip, d.vrs, v.etp, v.vrs, fmt.Sprint(i+1), fmt.Sprint(i+1), "2017", d.finHab)
		}
	}
	for _, t := range resultTypes {
		g.ins("TYP_RESULTAT", t.code, t.lib, t.lic, null(t.neg), "O")
	}
	for _, m := range mentions {
		g.ins("MENTION", m[0], m[1], m[1])
	}
	for _, t := range blockTypes {
		g.ins("TYP_BLOCAGE", t[0], t[1])
	}
	for _, b := range blocages {
		g.ins("BLOCAGE", b.code, b.lib, b.typ)
	}
	// Signers: the president (with image), a vice-president without image, a former
	// president no longer in office.
	g.ins("SIGNATAIRE", SignerCode, "Jean-Marc Fontaine", "Le Président de l'Université", "O")
	g.ins("SIGNATAIRE", SignerWithoutImage, "Hélène Brûlé", "La Vice-Présidente de la Commission de la formation et de la vie universitaire", "O")
	g.ins("SIGNATAIRE", "ANCPRE", "Bernard Lacroix", "Le Président de l'Université", "N")
	img := signaturePNG(g.r)
	iv := make([]byte, 16)
	for i := range iv {
		iv[i] = byte(g.r.IntN(256))
	}
	enc, err := EncryptLob(img, key, iv)
	if err != nil && g.err == nil {
		g.err = err
	}
	// The president has an official stamp (IMG_TAM_STD); the former president has none
	// (NULL), so the attestation is tested with and without it.
	stamp, err := EncryptLob(stampPNG(), key, iv)
	if err != nil && g.err == nil {
		g.err = err
	}
	g.ins("SIGN_TAMP_DIGITALISE", SignerCode, enc, stamp, "N", "N")
	g.ins("SIGN_TAMP_DIGITALISE", SignerWithoutStamp, enc, nil, "N", "N")
}

// ascii turns "Élodie N'Diaye" into "elodie-ndiaye"-like e-mail parts.
func ascii(s string) string {
	var b strings.Builder
	for _, r := range textfold.Fold(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-':
			b.WriteRune(r)
		case r == ' ':
			b.WriteRune('-')
		}
	}
	return b.String()
}

func (g *gen) person(last, first1, first2 string, noEmail bool) person {
	g.n++
	p := person{ind: firstInd + g.n - 1, etu: firstEtu + g.n - 1}
	r := g.r
	p.sex = "F"
	pool := firstNamesF
	if r.IntN(2) == 0 {
		p.sex, pool = "M", firstNamesM
	}
	p.first1 = pool[r.IntN(len(pool))]
	if r.IntN(5) == 0 {
		p.first2 = pool[r.IntN(len(pool))]
	}
	p.last = lastNames[r.IntN(len(lastNames))]
	if last != "" {
		p.last = last
	}
	if first1 != "" {
		p.first1, p.first2 = first1, first2
	}
	p.birth = fmt.Sprintf("%04d-%02d-%02d", 1998+r.IntN(8), 1+r.IntN(12), 1+r.IntN(28))
	p.town = birthTowns[r.IntN(len(birthTowns))]
	p.nat = "100"
	if r.IntN(10) == 0 {
		p.nat = "3" + fmt.Sprintf("%02d", r.IntN(99))
	}
	missing := r.IntN(100) < 3
	if !noEmail && !(missing && last == "" && first1 == "") {
		local := ascii(p.first1) + "." + ascii(p.last)
		g.emails[local]++
		if k := g.emails[local]; k > 1 {
			local += fmt.Sprint(k)
		}
		p.email = local + "@etu.univ-demo.fr"
	}
	ine := fmt.Sprintf("%010d", (uint64(p.etu)*7919+uint64(r.IntN(1000)))%10000000000)
	ine = "0" + ine[1:]
	sum := 0
	for _, c := range ine {
		sum += int(c - '0')
	}
	key := string(rune('A' + sum%26))
	login := ascii(p.last)
	login = strings.ReplaceAll(login, "-", "")
	if len(login) > 6 {
		login = login[:6]
	}
	login = fmt.Sprintf("%s%d", login, p.etu%1000)
	var first2v any
	if p.first2 != "" {
		first2v = p.first2
	}
	g.ins("INDIVIDU", p.ind, p.etu, ine, key, strings.ToUpper(p.last), nil, p.first1, first2v, nil,
		p.birth, p.town, p.nat, p.sex, nil)
	g.ins("SIM_ANNUAIRE", p.ind, login, null(p.email))
	return p
}

func (g *gen) register(p person, year string, d *vdiDef, v vetDef, occ int) {
	g.ins("INS_ADM_ETP", year, p.ind, v.etp, v.vrs, occ, d.dip, d.vrs, d.cmp, "E")
}

func (g *gen) result(p person, year string, d *vdiDef, rs res) {
	var men, crd, note any
	if rs.men != "" {
		men = rs.men
	}
	switch rs.tre {
	case "ADM", "ADJ":
		crd = d.ects
		note = 10 + float64(g.r.IntN(800))/100
	case "AJ":
		note = 5 + float64(g.r.IntN(490))/100
	}
	if pendingGroup.dip == d.dip && pendingGroup.anu == year && rs.ses > pendingGroup.ses {
		return // a later session than a pending one has not been held (the note was drawn all the same, for determinism)
	}
	g.group(groupKey{d.dip, d.vrs, year, rs.ses, rs.adm})
	g.ins("RESULTAT_VDI", p.ind, d.dip, d.vrs, year, rs.ses, rs.adm, note, 20, rs.tre, men, crd, rs.dlv, rs.dlv)
}

// group writes the result group of a result the first time one is seen: state 'T'
// (deliberation finished) or, for pendingGroup, 'E' (in progress). DAT_AVC_VDI and
// TEM_AVC_HER_VDI are left NULL; TEM_INI_TAB_RES_VDI and TEM_TRT_RPT_GVI are NOT NULL
// in Apogée and nothing here reads them: 'N' is an assumption.
func (g *gen) group(k groupKey) {
	if g.groups[k] {
		return
	}
	g.groups[k] = true
	state := "T"
	if k.dip == pendingGroup.dip && k.anu == pendingGroup.anu && k.ses == pendingGroup.ses {
		state = "E"
	}
	g.ins("GRP_RESULTAT_VDI", k.dip, k.vrs, k.anu, k.ses, k.adm, state, nil, nil, "N", "N")
}

func (g *gen) mention() string {
	x := g.r.IntN(100)
	switch {
	case x < 40:
		return "P"
	case x < 70:
		return "AB"
	case x < 90:
		return "B"
	}
	return "TB"
}

// outcome draws the results of a student of a graduating stage.
func (g *gen) outcome(d *vdiDef) []res {
	s1, s2 := "1", "2"
	if d.sesUni {
		s1 = "0"
	}
	x := g.r.IntN(100)
	switch {
	case x < 62:
		return []res{{s1, "1", "ADM", g.mention(), "O"}}
	case x < 72:
		if d.sesUni {
			return []res{{s1, "1", "ADJ", "P", "O"}}
		}
		return []res{{s1, "1", "AJ", "", "N"}, {s2, "1", "ADM", "P", "O"}}
	case x < 82:
		fail := []string{"AJ", "DEF", "ABI"}[g.r.IntN(3)]
		if d.sesUni {
			return []res{{s1, "1", fail, "", "N"}}
		}
		return []res{{s1, "1", "AJ", "", "N"}, {s2, "1", fail, "", "N"}}
	case x < 86:
		return nil
	case x < 89:
		// Drawn as "deliberation pending" when the state was per student; now that it
		// is per group (pendingGroup), an ordinary admission, drawn the same way so
		// that the rest of the dataset is unchanged.
		return []res{{s1, "1", "ADM", g.mention(), "O"}}
	case x < 92:
		return []res{{s1, "1", "ADM", g.mention(), "N"}}
	case x < 93:
		return []res{{s1, "1", "ABJ", "", "N"}}
	}
	return []res{{s1, "1", "ADM", g.mention(), "O"}}
}

func (g *gen) run(students int, key string) {
	g.static(key)
	for _, c := range caseSpecs {
		d := findVDI(c.dip)
		p := g.person(c.last, c.first1, c.first2, c.noEmail)
		for i, etp := range c.vets {
			g.register(p, CaseYear, d, d.vet(etp), i+1)
		}
		for _, rs := range c.results {
			g.result(p, CaseYear, d, rs)
		}
		if c.block != "" {
			g.ins("IND_SUBIR_BLOCAGE", p.ind, c.block, c.vets[0])
		}
		g.cases[c.name] = fmt.Sprint(p.etu)
	}
	var weighted []*vdiDef
	for i := range catalog {
		for range catalog[i].weight {
			weighted = append(weighted, &catalog[i])
		}
	}
	for g.n < students && g.err == nil {
		p := g.person("", "", "", false)
		d := weighted[g.r.IntN(len(weighted))]
		var grads, others []vetDef
		for _, v := range d.vets {
			if v.grad {
				grads = append(grads, v)
			} else {
				others = append(others, v)
			}
		}
		year := CaseYear
		switch y := g.r.IntN(100); {
		case y < 8:
			year = "2023"
		case y >= 88:
			year = "2025"
		}
		if len(others) > 0 && g.r.IntN(100) < 40 {
			g.register(p, year, d, others[g.r.IntN(len(others))], 1)
			continue
		}
		v := grads[g.r.IntN(len(grads))]
		g.register(p, year, d, v, 1)
		if len(grads) > 1 && g.r.IntN(10) == 0 {
			for _, w := range grads {
				if w != v {
					g.register(p, year, d, w, 2)
					break
				}
			}
		}
		if year != "2025" {
			for _, rs := range g.outcome(d) {
				g.result(p, year, d, rs)
			}
		}
		if g.r.IntN(100) < 3 {
			g.ins("IND_SUBIR_BLOCAGE", p.ind, blocages[g.r.IntN(len(blocages))].code, v.etp)
		}
	}
}
