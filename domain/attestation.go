package domain

import (
	"context"
	"fmt"
	"io"
	"time"
)

// StudentAttestation assesses one student for a diploma and year with the same rules as
// a campaign (R08–R15) and, when eligible, renders the attestation into w. It returns
// the row in every case; a student who is not eligible gets an ErrInvalid error naming
// the reasons, and nothing is written. Used by `hypercerts render` and HubEE requests.
func (e *Engine) StudentAttestation(ctx context.Context, year string, vdi VDI, studentCode string, w io.Writer) (Row, error) {
	// No delivery mode: the e-mail address is not needed to render an attestation.
	row := e.assess(ctx, year, vdi, "", studentInVETs{StudentRef: StudentRef{Code: studentCode}})
	if row.Err != "" {
		return row, fmt.Errorf("étudiant %s : %s", studentCode, row.Err)
	}
	if !row.Eligible {
		return row, Invalid("pas d'attestation pour l'étudiant %s (%s) : %v", studentCode, row.Student.FullName(), row.Reasons)
	}
	if e.renderer == nil {
		return row, fmt.Errorf("aucun moteur de rendu configuré")
	}
	sig, err := e.signature(ctx) // R16
	if err != nil {
		return row, err
	}
	label, err := call(ctx, e, func() (string, error) { return e.apogee.OfficialLabel(ctx, year, vdi) })
	if err != nil {
		return row, err
	}
	now := e.clock.Now()
	a := Attestation{Reference: SingleReference(year, vdi, row.Student.Code, now), Student: row.Student, DiplomaLabel: label, YearLabel: AcademicYearLabel(year),
		Mention: row.Mention, ECTS: row.ECTS, Signature: sig, IssuedAt: now}
	if err := e.renderTo(ctx, w, a); err != nil {
		return row, err
	}
	row.Reference = a.Reference
	return row, e.recordSingle(IssuedAttestation{Reference: a.Reference, Year: year, VDI: vdi,
		StudentCode: row.Student.Code, StudentName: row.Student.FullName(), IssuedAt: now})
}

// StudentAttestationAs is StudentAttestation for a signed-in user: the VDI must be
// offered in one of the user's components (R02).
func (e *Engine) StudentAttestationAs(ctx context.Context, user User, year string, vdi VDI, studentCode string, w io.Writer) (Row, error) {
	comps, err := e.requireAnyRight(ctx, user)
	if err != nil {
		return Row{}, err
	}
	for _, c := range comps {
		vdis, err := e.VDIs(ctx, user, year, c.Code)
		if err != nil {
			return Row{}, err
		}
		for _, v := range vdis {
			if v.Dip == vdi.Dip && v.Version == vdi.Version {
				return e.StudentAttestation(ctx, year, vdi, studentCode, w)
			}
		}
	}
	return Row{}, Forbidden(user, "la VDI "+vdi.Key())
}

// AttestationFor is what is printed for one entry of a campaign (the campaign runs
// build the same).
func AttestationFor(camp Campaign, en Entry, sig Signature, issued time.Time) Attestation {
	return Attestation{Reference: CampaignReference(camp.ID, en.Student.Code), Student: en.Student, DiplomaLabel: camp.DiplomaLabel,
		YearLabel: AcademicYearLabel(camp.Year), Mention: en.Mention, ECTS: en.ECTS, Signature: sig, IssuedAt: issued}
}

// renderTo runs the renderer into w; a panic on one student's data is an error for
// that student only (campaign runs, Digiposte deposits, single attestations). ctx
// ends the renderer's outside calls (a ContextRenderer's time-stamp).
func (e *Engine) renderTo(ctx context.Context, w io.Writer, a Attestation) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("erreur interne du générateur PDF : %v", r)
		}
	}()
	if cr, ok := e.renderer.(ContextRenderer); ok {
		return cr.RenderContext(ctx, w, a)
	}
	return e.renderer.Render(w, a)
}
