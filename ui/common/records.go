package common

import (
	"fmt"
	"strings"

	"hypercerts/domain"
	"hypercerts/ui/i18n"
)

// RowFields is the whole record of a preview row (and of a campaign's student): who,
// where the mail goes, the result read in Apogée, the blockings and every reason, in
// full.
func RowFields(r *domain.Row) []Field {
	st := r.Student
	email := st.Email
	if r.RealRecipient != "" {
		email = r.RealRecipient + " → " + r.Recipient + " (" + i18n.DetTestMode + ")"
	} else if r.Recipient != "" && r.Recipient != st.Email {
		email = r.Recipient
	}
	f := []Field{
		{i18n.DetFName, st.FullName()},
		{i18n.DetFCode, st.Code},
		{i18n.DetFINE, st.INE},
		{i18n.DetFBirth, i18n.Day(st.BirthDate)},
		{i18n.DetFEmail, email},
		{i18n.DetFVETs, strings.Join(r.VETs, ", ")},
		{i18n.DetFVerdict, r.Verdict.Label()},
	}
	if r.Reference != "" {
		f = append(f, Field{i18n.DetFReference, r.Reference})
	}
	if r.Session >= 0 {
		f = append(f, Field{i18n.DetFResult, fmt.Sprintf(i18n.DetSessionResult, r.Session, orDash(r.Result))})
	} else {
		f = append(f, Field{i18n.DetFResult, i18n.DetNoResult})
	}
	f = append(f, Field{i18n.DetFMention, r.Mention.Label}, Field{i18n.DetFECTS, r.ECTS},
		Field{i18n.DetFDelivery, i18n.YesNo(r.Delivery)})
	if len(r.Blockings) == 0 {
		f = append(f, Field{i18n.DetFBlockings, i18n.DetNone})
	}
	for _, b := range r.Blockings {
		v := b.String()
		if b.Code != "" {
			v += " (" + b.Code + ")"
		}
		f = append(f, Field{i18n.DetFBlocking, v})
	}
	if r.Err != "" {
		f = append(f, Field{i18n.DetFApogeeErr, r.Err})
	}
	f = append(f, Field{i18n.DetFEligible, i18n.YesNo(r.Eligible)})
	for _, reason := range r.Reasons {
		f = append(f, Field{i18n.DetFReason, reason})
	}
	return f
}

// EntryFields is the whole record of a campaign's student: its state, attempts and
// last error first (what the manager opened it for), then the preview's record.
func EntryFields(e *domain.Entry) []Field {
	f := []Field{{i18n.DetFState, e.State.Label()}}
	if e.Attempts > 0 {
		f = append(f, Field{i18n.DetFAttempts, i18n.Int(e.Attempts)})
	}
	if e.LastError != "" {
		f = append(f, Field{i18n.DetFLastError, i18n.French(e.LastError)})
	}
	if !e.UpdatedAt.IsZero() {
		f = append(f, Field{i18n.DetFUpdated, i18n.Date(e.UpdatedAt)})
	}
	return append(f, RowFields(&e.Row)...)
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}
