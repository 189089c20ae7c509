package domain

// PreviewTotals counts the rows of a preview by verdict, blocking and eligibility.
type PreviewTotals struct {
	Students, Admitted, NotAdmitted, NoVerdict, Blocked, Errors, Eligible int
}

// Add counts one row.
func (t *PreviewTotals) Add(r Row) {
	t.Students++
	switch r.Verdict {
	case Admitted:
		t.Admitted++
	case NotAdmitted:
		t.NotAdmitted++
	default:
		t.NoVerdict++
	}
	if len(r.Blockings) > 0 {
		t.Blocked++
	}
	if r.Err != "" {
		t.Errors++
	}
	if r.Eligible {
		t.Eligible++
	}
}

// TotalsOf counts rows.
func TotalsOf(rows []Row) PreviewTotals {
	var t PreviewTotals
	for _, r := range rows {
		t.Add(r)
	}
	return t
}
