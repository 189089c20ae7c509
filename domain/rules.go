package domain

import (
	"sort"
	"strings"
)

// Verdict is the jury's final word on a student for a diploma (R12).
type Verdict int

const (
	NoVerdict   Verdict = iota // no admission result, or codNegTre null
	Admitted                   // codNegTre = 1
	NotAdmitted                // codNegTre = 0
)

func (v Verdict) String() string {
	switch v {
	case Admitted:
		return "admitted"
	case NotAdmitted:
		return "not_admitted"
	default:
		return "no_verdict"
	}
}

// DecideVerdict applies R11 and R12: among admission results (cod_adm = 1), sorted by
// session, the last one decides; codNegTre 1 → admitted, 0 → not admitted, null or no
// result → no verdict. It returns the deciding result, nil when there is none.
func DecideVerdict(results []SessionResult) (Verdict, *SessionResult) {
	var admissions []SessionResult
	for _, r := range results {
		if r.Admission {
			admissions = append(admissions, r)
		}
	}
	if len(admissions) == 0 {
		return NoVerdict, nil
	}
	sort.SliceStable(admissions, func(i, j int) bool { return admissions[i].Session < admissions[j].Session })
	last := admissions[len(admissions)-1]
	switch {
	case last.Favourable == nil:
		return NoVerdict, &last
	case *last.Favourable:
		return Admitted, &last
	default:
		return NotAdmitted, &last
	}
}

// Reasons a student gets no attestation, in the managers' words.
const (
	ReasonNotAdmitted       = "non reçu"
	ReasonNoVerdict         = "pas de verdict (délibération non terminée ou pas de résultat d'admission)"
	ReasonNoContract        = "pas de contrat pédagogique pour ce diplôme cette année"
	ReasonDeliveryForbidden = "délivrance non autorisée"
	ReasonBlocked           = "blocage"
	ReasonNoEmail           = "pas d'adresse électronique"
)

// Assessment is the outcome of the rules for one student.
type Assessment struct {
	Verdict  Verdict
	Deciding *SessionResult
	Eligible bool
	Reasons  []string
}

// Assess applies R12–R15: eligible means admitted, delivery authorised and no blocking.
// deliveryAuthorised is only meaningful when admitted.
func Assess(contract *Contract, deliveryAuthorised bool, blockings []Blocking) Assessment {
	var a Assessment
	if contract == nil {
		a.Reasons = append(a.Reasons, ReasonNoContract)
	} else {
		a.Verdict, a.Deciding = DecideVerdict(contract.Results)
		switch a.Verdict {
		case NotAdmitted:
			a.Reasons = append(a.Reasons, ReasonNotAdmitted)
		case NoVerdict:
			a.Reasons = append(a.Reasons, ReasonNoVerdict)
		case Admitted:
			if !deliveryAuthorised {
				a.Reasons = append(a.Reasons, ReasonDeliveryForbidden)
			}
		}
	}
	for _, b := range blockings {
		a.Reasons = append(a.Reasons, ReasonBlocked+" : "+b.String())
	}
	a.Eligible = len(a.Reasons) == 0
	return a
}

// OfficialLabel applies R09: the five label columns then the parcours type, end to end,
// as stored (commas and capitals kept). Empty parts are skipped and parts are separated
// by one space, so "Licence" + "mention Mathématiques" reads as two words.
func OfficialLabel(parts []string, parcoursType string) string {
	var kept []string
	for _, p := range append(append([]string{}, parts...), parcoursType) {
		if p = strings.TrimSpace(p); p != "" {
			kept = append(kept, p)
		}
	}
	return strings.Join(kept, " ")
}

// Recipient applies R18: in test mode every student mail goes to the test address and
// the real one is kept aside to be shown and logged.
func Recipient(studentEmail string, testMode bool, testRecipient string) (to, real string) {
	if testMode {
		return testRecipient, studentEmail
	}
	return studentEmail, ""
}
