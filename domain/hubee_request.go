package domain

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// HubEEStudentFinder is an optional capability of the Apogee port: finding a student
// code from an INE, for requests that carry only the INE. The engine finds it with a
// type assertion on Deps.Apogee; without it, such requests are refused with a message
// asking for the student number.
type HubEEStudentFinder interface {
	StudentByINE(ctx context.Context, ine string) (studentCode string, err error)
}

// hubDecide identifies the student, applies the campaign rules and prepares the answer:
// the PDF stored and HubStepAnswerReady, or a refusal and HubStepAnswering. An Apogée
// failure is returned as is (the case waits for the next run).
func (e *Engine) hubDecide(ctx context.Context, hs HubStore, p HubEEProcess, rec *HubEECase) error {
	req, err := e.hub.Request(p, *rec, func(key string) ([]byte, error) { return hs.HubEEFile(rec.CaseID, key) })
	if err != nil { // read fine before the acknowledgement; the store changed under us
		return e.integrationError(hs, rec, err.Error())
	}
	refuse := func(reason, answer string) error {
		rec.Outcome, rec.Reason = HubOutcomeRefused, reason
		rec.Answer = "Votre demande d'attestation de réussite ne peut pas être satisfaite : " + answer
		rec.Pending, rec.PendingMessage, rec.Step = HubRefused, rec.Answer, HubStepAnswering
		rec.LastError = ""
		return e.putCase(hs, rec)
	}
	code := req.StudentCode
	if code == "" {
		finder, ok := e.apogee.(HubEEStudentFinder)
		if !ok {
			return refuse("identification par INE seul non prise en charge",
				"l'université ne peut pas vous identifier par votre seul INE ; indiquez votre numéro étudiant.")
		}
		code, err = call(ctx, e, func() (string, error) { return finder.StudentByINE(ctx, req.INE) })
		if errors.Is(err, ErrNotFound) {
			return refuse("INE "+req.INE+" inconnu dans Apogée", "aucun étudiant de l'université ne correspond à l'INE "+req.INE+".")
		}
		if err != nil {
			//lint:ignore ST1005 Apogée is a proper noun
			return fmt.Errorf("Apogée : recherche par INE : %w", err)
		}
	}
	rec.StudentCode = code
	id, err := call(ctx, e, func() (Identity, error) { return e.apogee.Identity(ctx, code) })
	if errors.Is(err, ErrNotFound) {
		return refuse("étudiant "+code+" inconnu dans Apogée", "aucun étudiant de l'université ne porte le numéro "+code+".")
	}
	if err != nil {
		//lint:ignore ST1005 Apogée is a proper noun
		return fmt.Errorf("Apogée : identité de l'étudiant %s : %w", code, err)
	}
	mismatch := func(what string) error {
		return refuse("identité non concordante ("+what+") pour l'étudiant "+code,
			"les informations d'identité du dossier ne correspondent pas à celles que l'université connaît pour ce numéro étudiant.")
	}
	if req.INE != "" && id.INE != "" && !e.hub.SameName(req.INE, id.INE) {
		return mismatch("INE")
	}
	if req.LastName != "" || !req.BirthDate.IsZero() {
		adm, err := call(ctx, e, func() (AdminInfo, error) { return e.apogee.AdminInfo(ctx, code) })
		if err != nil {
			//lint:ignore ST1005 Apogée is a proper noun
			return fmt.Errorf("Apogée : état civil de l'étudiant %s : %w", code, err)
		}
		if req.LastName != "" && adm.LastName != "" && !e.hub.SameName(req.LastName, adm.LastName) {
			return mismatch("nom")
		}
		if !req.BirthDate.IsZero() && !adm.BirthDate.IsZero() && !sameDay(req.BirthDate, adm.BirthDate) {
			return mismatch("date de naissance")
		}
	}
	year := req.Year
	if year == "" {
		if year, err = e.hubYear(ctx, code, req.VDI); err != nil {
			return err
		}
		if year == "" {
			return refuse(fmt.Sprintf("aucun contrat pédagogique pour %s dans les années ouvertes", req.VDI.Key()),
				fmt.Sprintf("aucune inscription au diplôme %s n'est enregistrée à votre nom.", req.VDI.Key()))
		}
	}
	rec.Year, rec.VDI = year, req.VDI.Key()
	var pdf bytes.Buffer
	row, err := e.StudentAttestation(ctx, year, req.VDI, code, &pdf)
	rec.StudentName = row.Student.FullName()
	if err != nil {
		if errors.Is(err, ErrInvalid) {
			return refuse(strings.Join(row.Reasons, " ; "), refusalText(row.Reasons, req.VDI, year))
		}
		return err // Apogée or rendering: next run
	}
	name := fmt.Sprintf("attestation-reussite-%s-%s.pdf", code, year)
	key := "answer/" + name
	if err := hs.PutHubEEFile(rec.CaseID, key, pdf.Bytes()); err != nil {
		return fmt.Errorf("base : attestation : %w", err)
	}
	rec.Deposit = HubEEDeposit{FileName: name, Size: int64(pdf.Len()), Key: key}
	rec.Outcome = HubOutcomeDelivered
	rec.Reason = fmt.Sprintf("attestation %s %s délivrée à %s", req.VDI.Key(), AcademicYearLabel(year), rec.StudentName)
	rec.Answer = fmt.Sprintf("Votre attestation de réussite (%s, année %s) est jointe.", firstNonEmpty(req.VDI.Label, req.VDI.Key()), AcademicYearLabel(year))
	rec.Step, rec.LastError = HubStepAnswerReady, ""
	return e.putCase(hs, rec)
}

// hubYear finds the newest open year where the student has a contract for the VDI ("" if
// none).
func (e *Engine) hubYear(ctx context.Context, code string, vdi VDI) (string, error) {
	years, err := call(ctx, e, func() ([]Year, error) { return e.apogee.OpenYears(ctx) })
	if err != nil {
		//lint:ignore ST1005 Apogée is a proper noun
		return "", fmt.Errorf("Apogée : années ouvertes : %w", err)
	}
	for _, y := range years {
		c, err := call(ctx, e, func() (*Contract, error) { return e.apogee.Contract(ctx, code, y.Code, vdi) })
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			//lint:ignore ST1005 Apogée is a proper noun
			return "", fmt.Errorf("Apogée : contrat de l'étudiant %s en %s : %w", code, y.Code, err)
		}
		if c != nil {
			return y.Code, nil
		}
	}
	return "", nil
}

// refusalText explains the rules' reasons to the student.
func refusalText(reasons []string, vdi VDI, year string) string {
	var out []string
	for _, r := range reasons {
		switch {
		case r == ReasonNotAdmitted:
			out = append(out, "le jury ne vous a pas déclaré(e) admis(e) à ce diplôme")
		case r == ReasonNoVerdict:
			out = append(out, "aucun résultat définitif n'est encore enregistré pour ce diplôme")
		case r == ReasonNoContract:
			out = append(out, "aucune inscription à ce diplôme n'est enregistrée pour cette année")
		case r == ReasonDeliveryForbidden:
			out = append(out, "la délivrance de l'attestation n'est pas encore autorisée")
		case strings.HasPrefix(r, ReasonBlocked):
			out = append(out, "votre dossier fait l'objet d'un blocage administratif ; contactez votre scolarité")
		case r == ReasonNoEmail, r == ReasonNoEmailDigiposte:
		default:
			out = append(out, r)
		}
	}
	if len(out) == 0 {
		out = append(out, "les conditions de délivrance ne sont pas remplies")
	}
	return fmt.Sprintf("%s (diplôme %s, année %s).", strings.Join(dedup(out), " ; "), firstNonEmpty(vdi.Label, vdi.Key()), AcademicYearLabel(year))
}

func dedup(s []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, v := range s {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

func sameDay(a, b time.Time) bool {
	ay, am, ad := a.Date()
	by, bm, bd := b.Date()
	return ay == by && am == bm && ad == bd
}
