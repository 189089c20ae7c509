// Package domain holds hypercerts' business rules and its engine. It does no I/O:
// the outside world (Apogée, the store, the PDF renderer, mail, Digiposte, HubEE)
// is reached through the ports declared in ports.go.
package domain

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// User is an authenticated Apogée user (COD_UTI).
type User struct {
	Code  string
	Name  string
	Email string // UTILISATEUR.ADR_MAIL_UTI, for the "campaign finished" mail (R17b)
}

// Year is an academic year of Apogée (ANNEE_UNI). Code "2024" means 2024-2025.
type Year struct {
	Code  string
	Label string
	// Deliberated: Apogée holds deliberated admission results for the year (R10-R11:
	// cod_adm = 1, deliberation finished), so a campaign on it has something to send.
	Deliberated bool
}

// AcademicYearLabel turns a cod_anu into "2024-2025".
func AcademicYearLabel(code string) string {
	y, err := strconv.Atoi(code) // fmt.Sscanf only for odd codes: this runs for every mail
	if err != nil {
		if _, err := fmt.Sscanf(code, "%d", &y); err != nil {
			return code
		}
	}
	if y < 1000 {
		return code
	}
	return strconv.Itoa(y) + "-" + strconv.Itoa(y+1)
}

// Component is a composante (COMPOSANTE.COD_CMP).
type Component struct {
	Code  string
	Label string
}

// VDI is a diploma version: cod_dip + cod_vrs_vdi.
type VDI struct {
	Dip     string
	Version string
	Label   string // lib_web_vdi
}

// Key is the "DIP/VRS" form used on command lines and in the store.
func (v VDI) Key() string { return v.Dip + "/" + v.Version }

// ParseVDI reads "DIP/VRS".
func ParseVDI(s string) (VDI, error) {
	dip, vrs, ok := strings.Cut(strings.TrimSpace(s), "/")
	if !ok || dip == "" || vrs == "" {
		return VDI{}, fmt.Errorf("VDI %q : format attendu CODE_DIPLOME/VERSION, par exemple LMATH/201", s)
	}
	return VDI{Dip: strings.ToUpper(dip), Version: vrs}, nil
}

// VET is a stage version: cod_etp + cod_vrs_vet.
type VET struct {
	Etape      string
	Version    string
	Label      string
	Graduating bool // VERSION_ETAPE.tem_dip_vet = 'O' (R05)
}

// Key is the "ETP/VRS" form.
func (v VET) Key() string { return v.Etape + "/" + v.Version }

// ParseVET reads "ETP/VRS".
func ParseVET(s string) (VET, error) {
	etp, vrs, ok := strings.Cut(strings.TrimSpace(s), "/")
	if !ok || etp == "" || vrs == "" {
		return VET{}, fmt.Errorf("VET %q : format attendu CODE_ETAPE/VERSION, par exemple L3MATH/201", s)
	}
	return VET{Etape: strings.ToUpper(etp), Version: vrs}, nil
}

// StudentRef is a student as listed in a VET (R06).
type StudentRef struct {
	Code      string // cod_etu
	LastName  string
	FirstName string
}

// Identity is what recupererIdentifiantsEtudiant gives (R08).
type Identity struct {
	Code           string // cod_etu
	IndividualCode string // cod_ind
	INE            string // numeroINE + cleINE
	Email          string // emailAnnuaire, may be empty
}

// AdminInfo is what recupererInfosAdmEtu gives: civil status and blockings (R08, R15).
type AdminInfo struct {
	LastName   string
	FirstName1 string
	FirstName2 string
	BirthDate  time.Time // zero when unknown
	BirthPlace string
	// Sex is Apogée's code ("M", "F"), empty when unknown: it genders the attestation.
	Sex       string
	Blockings []Blocking
}

// Blocking is one blocage of the student's record (TYP_BLOCAGE).
type Blocking struct {
	Code      string
	Label     string
	TypeCode  string
	TypeLabel string
}

func (b Blocking) String() string {
	if b.TypeLabel != "" {
		return b.TypeLabel + " : " + b.Label
	}
	return b.Label
}

// Mention is the honours of a result.
type Mention struct {
	Code  string
	Label string
}

// SessionResult is one VDI-level result of the pedagogical contract (R11).
type SessionResult struct {
	Session    int    // 0 single session, 1 first, 2 resit
	ResultCode string // cod_tre: ADM, AJ, …
	// Favourable is codNegTre: 1 favourable, 0 unfavourable, nil when absent.
	Favourable *bool
	Admission  bool // natureResultat.codAdm = 1
	Mention    Mention
	ECTS       string // nbrCrdVdi, as Apogée gives it
}

// Contract is the pedagogical contract with its VDI results for one diploma (R10).
type Contract struct {
	Year    string
	VDI     VDI
	Results []SessionResult
}

// Signature is the signer and the image Apogée stores for them (R16).
type Signature struct {
	Code  string
	Name  string
	Title string
	Image []byte // PNG or JPEG
	// Stamp is the university's official stamp (Apogée's IMG_TAM_STD), printed beside
	// the signature; nil when the signer has none.
	Stamp []byte // PNG or JPEG
}
