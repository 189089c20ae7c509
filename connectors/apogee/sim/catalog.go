package sim

// The university's offer: components, diplomas, versions and stages.

type vetDef struct {
	etp  string
	vrs  int
	lib  string
	grad bool
}

type vdiDef struct {
	dip, libDip, licDip string
	vrs                 int
	web, lic            string
	cmp                 string
	ndi                 string // nature: 1 national, 2 university (DU), 9 absence de diplôme
	ter                 string // terminal
	sesUni              bool
	finHab              string // DAA_FIN_HAB_VDI
	prf1, it1           string
	prf2, it2           string
	prt                 string // PARCOURS_TYPE code, "" when none
	tit, dom            string // PERIODE_PARAM_EDITION labels
	ects                int
	habilitated         bool   // linked to its component in CMP_HABILITER_VDI
	intermediate        string // cod_dip of the intermediate diploma (VDI_NEC_OBT_VDI)
	vets                []vetDef
	weight              int // share of random students
}

type cmpDef struct{ code, tpc, lib string }

var components = []cmpDef{
	{"SCI", "UFR", "UFR Sciences et Technologies"},
	{"LLS", "UFR", "UFR Lettres, Langues et Sciences humaines"},
	{"DEG", "FAC", "Faculté de Droit, Économie et Gestion"},
	{"IUT", "IUT", "Institut universitaire de technologie"},
}

var parcoursTypes = [][2]string{
	{"PMATHF", "parcours Mathématiques fondamentales"},
	{"PCHVER", "parcours Chimie verte"},
	{"PDRBAN", "parcours Droit bancaire"},
	{"PFLEDI", "parcours Didactique du FLE"},
	{"PBUTRA", "parcours Réalisation d'applications : conception, développement, validation"},
}

var prefixes = [][2]string{{"MEN", "mention"}, {"SPE", "spécialité"}, {"PAR", "parcours"}}

const (
	stsDom = "Sciences, technologies, santé"
	allDom = "Arts, lettres, langues"
	degDom = "Droit, économie, gestion"
)

var catalog = []vdiDef{
	{dip: "LMATH", libDip: "Licence Mathématiques", licDip: "L MATHS", vrs: 201, web: "Licence Mathématiques", lic: "LIC MATHS", cmp: "SCI", ndi: "1", ter: "O", finHab: "2027",
		prf1: "MEN", it1: "Mathématiques", prt: "PMATHF", tit: "Licence", dom: stsDom, ects: 180, habilitated: true, weight: 12,
		vets: []vetDef{{"L1MATH", 201, "L1 Mathématiques", false}, {"L2MATH", 201, "L2 Mathématiques", false}, {"L3MATH", 201, "L3 Mathématiques", true}}},
	{dip: "LINFO", libDip: "Licence Informatique", licDip: "L INFO", vrs: 201, web: "Licence Informatique", lic: "LIC INFO", cmp: "SCI", ndi: "1", ter: "O", finHab: "2027",
		prf1: "MEN", it1: "Informatique", tit: "Licence", dom: stsDom, ects: 180, habilitated: true, weight: 14,
		vets: []vetDef{{"L2INFO", 201, "L2 Informatique", false}, {"L3INFN", 201, "L3 Informatique – site de Nancy", true}, {"L3INFE", 201, "L3 Informatique – site d'Épinal", true}}},
	{dip: "MCHIM", libDip: "Master Chimie", licDip: "M CHIMIE", vrs: 201, web: "Master Chimie parcours Chimie verte", lic: "MAS CHIMIE", cmp: "SCI", ndi: "1", ter: "O", finHab: "2028",
		prf1: "MEN", it1: "Chimie", prt: "PCHVER", tit: "Master", dom: stsDom, ects: 120, habilitated: true, weight: 6,
		vets: []vetDef{{"M1CHIM", 201, "M1 Chimie", false}, {"M2CHVE", 201, "M2 Chimie verte", true}}},
	{dip: "LPMETI", libDip: "Licence professionnelle Métiers de l'informatique", licDip: "LP MET INFO", vrs: 1, web: "Licence professionnelle Métiers de l'informatique : administration et sécurité des systèmes", lic: "LP ASSR", cmp: "SCI", ndi: "1", ter: "O", sesUni: true, finHab: "2026",
		prf1: "MEN", it1: "Métiers de l'informatique : administration et sécurité des systèmes et des réseaux", tit: "Licence professionnelle", dom: stsDom, ects: 60, habilitated: true, weight: 4,
		vets: []vetDef{{"LPASSR", 1, "LP Administration et sécurité des systèmes", true}}},
	{dip: "DUASTR", libDip: "DU Astronomie", licDip: "DU ASTRO", vrs: 1, web: "DU Astronomie et astrophysique", lic: "DU ASTRO", cmp: "SCI", ndi: "2", ter: "O", sesUni: true, finHab: "2026",
		it1: "Astronomie et astrophysique", tit: "Diplôme d'université", ects: 30, habilitated: true, weight: 2,
		vets: []vetDef{{"DUAST1", 1, "DU Astronomie", true}}},
	{dip: "PREPSC", libDip: "Année préparatoire Sciences", licDip: "PREP SCI", vrs: 1, web: "Année préparatoire aux études scientifiques (sans diplôme)", lic: "PREP SCI", cmp: "SCI", ndi: "9", ter: "O", sesUni: true, finHab: "2027",
		tit: "Année préparatoire", habilitated: true, weight: 2,
		vets: []vetDef{{"PREPS1", 1, "Année préparatoire Sciences", true}}},
	{dip: "LLETMO", libDip: "Licence Lettres modernes", licDip: "L LETTRES", vrs: 201, web: "Licence Lettres modernes", lic: "LIC LETTRES", cmp: "LLS", ndi: "1", ter: "O", finHab: "2027",
		prf1: "MEN", it1: "Lettres", prf2: "PAR", it2: "Lettres modernes", tit: "Licence", dom: allDom, ects: 180, habilitated: true, weight: 10,
		vets: []vetDef{{"L3LETM", 201, "L3 Lettres modernes", true}}},
	{dip: "MFLE", libDip: "Master Français langue étrangère", licDip: "M FLE", vrs: 201, web: "Master Français langue étrangère", lic: "MAS FLE", cmp: "LLS", ndi: "1", ter: "O", finHab: "2028",
		prf1: "MEN", it1: "Français langue étrangère", prt: "PFLEDI", tit: "Master", dom: allDom, ects: 120, habilitated: true, weight: 5,
		vets: []vetDef{{"M1FLE", 201, "M1 Français langue étrangère", false}, {"M2FLE", 201, "M2 Didactique du FLE", true}}},
	{dip: "CPLLS", libDip: "Cursus préparatoire Lettres", licDip: "CP LETTRES", vrs: 1, web: "Cursus préparatoire Lettres et langues (sans diplôme)", lic: "CP LETTRES", cmp: "LLS", ndi: "9", ter: "O", sesUni: true, finHab: "2027",
		tit: "Cursus préparatoire", habilitated: true, weight: 1,
		vets: []vetDef{{"CPLLS1", 1, "Cursus préparatoire Lettres", true}}},
	{dip: "LDROIT", libDip: "Licence Droit", licDip: "L DROIT", vrs: 201, web: "Licence Droit", lic: "LIC DROIT", cmp: "DEG", ndi: "1", ter: "O", finHab: "2027",
		prf1: "MEN", it1: "Droit", tit: "Licence", dom: degDom, ects: 180, habilitated: true, weight: 16, intermediate: "DEUGDR",
		vets: []vetDef{{"L1DROI", 201, "L1 Droit", false}, {"L3DROI", 201, "L3 Droit", true}}},
	{dip: "MDAFF", libDip: "Master Droit des affaires", licDip: "M DR AFF", vrs: 201, web: "Master Droit des affaires parcours Droit bancaire", lic: "MAS DR AFF", cmp: "DEG", ndi: "1", ter: "O", finHab: "2028",
		prf1: "MEN", it1: "Droit des affaires", prt: "PDRBAN", tit: "Master", dom: degDom, ects: 120, habilitated: true, weight: 6,
		vets: []vetDef{{"M2DRBA", 201, "M2 Droit bancaire", true}}},
	{dip: "MECOAP", libDip: "Master Économie appliquée", licDip: "M ECO", vrs: 101, web: "Master Économie appliquée (ancienne habilitation)", lic: "MAS ECO", cmp: "DEG", ndi: "1", ter: "O", finHab: "2022",
		prf1: "SPE", it1: "Économie appliquée", tit: "Master", dom: degDom, ects: 120, habilitated: true, weight: 0,
		vets: []vetDef{{"M2ECOA", 101, "M2 Économie appliquée", true}}},
	{dip: "LDRTC", libDip: "Licence Droit tronc commun", licDip: "L DR TC", vrs: 201, web: "Licence Droit – tronc commun L1-L2", lic: "L DR TC", cmp: "DEG", ndi: "1", ter: "N", finHab: "2027",
		prf1: "MEN", it1: "Droit", tit: "Licence", dom: degDom, ects: 120, habilitated: true, weight: 0, intermediate: "DEUGDR",
		vets: []vetDef{{"L2DRTC", 201, "L2 Droit tronc commun", false}}},
	{dip: "DEUGDR", libDip: "DEUG Droit", licDip: "DEUG DROIT", vrs: 1, web: "DEUG Droit", lic: "DEUG DROIT", cmp: "DEG", ndi: "1", ter: "N", finHab: "2027",
		prf1: "MEN", it1: "Droit", tit: "Diplôme d'études universitaires générales", dom: degDom, ects: 120, habilitated: false, weight: 0,
		vets: nil},
	{dip: "BUTINF", libDip: "BUT Informatique", licDip: "BUT INFO", vrs: 1, web: "BUT Informatique", lic: "BUT INFO", cmp: "IUT", ndi: "1", ter: "O", finHab: "2027",
		prf1: "MEN", it1: "Informatique", prt: "PBUTRA", tit: "Bachelor universitaire de technologie", dom: stsDom, ects: 180, habilitated: true, weight: 10,
		vets: []vetDef{{"BUT1IN", 1, "BUT 1 Informatique", false}, {"BUT2IN", 1, "BUT 2 Informatique", false}, {"BUT3IN", 1, "BUT 3 Informatique", true}}},
	{dip: "BUTGEA", libDip: "BUT Gestion des entreprises et des administrations", licDip: "BUT GEA", vrs: 1, web: "BUT Gestion des entreprises et des administrations", lic: "BUT GEA", cmp: "IUT", ndi: "1", ter: "O", finHab: "2027",
		prf1: "MEN", it1: "Gestion des entreprises et des administrations", tit: "Bachelor universitaire de technologie", dom: degDom, ects: 180, habilitated: true, weight: 8,
		vets: []vetDef{{"BUT3GE", 1, "BUT 3 Gestion des entreprises et des administrations", true}}},
}

type blocageDef struct{ code, lib, typ string }

var blockTypes = [][2]string{
	{"EXA", "Blocage des examens"},
	{"INS", "Blocage des inscriptions administratives et/ou pédagogiques"},
	{"IAW", "Blocage de l'inscription administrative à distance"},
	{"DIP", "Blocage de la délivrance automatique du diplôme"},
}

var blocages = []blocageDef{
	{"BEX1", "Dossier incomplet : accès aux examens suspendu", "EXA"},
	{"BIN1", "Droits d'inscription non acquittés", "INS"},
	{"BIW1", "Réinscription en ligne refusée : situation à régulariser", "IAW"},
	{"BDI1", "Diplôme retenu : ouvrages non rendus à la bibliothèque", "DIP"},
}

type treDef struct{ code, lib, lic, neg string }

var resultTypes = []treDef{
	{"ADM", "Admis", "Admis", "1"},
	{"ADJ", "Admis par le jury", "Admis jury", "1"},
	{"AJ", "Ajourné", "Ajourné", "0"},
	{"DEF", "Défaillant", "Défaillant", "0"},
	{"ABI", "Absence injustifiée", "Abs. injust.", "0"},
	{"ABJ", "Absence justifiée", "Abs. just.", ""}, // codNegTre null
}

var mentions = [][2]string{{"P", "Passable"}, {"AB", "Assez bien"}, {"B", "Bien"}, {"TB", "Très bien"}}
