package domain

import "testing"

func fav(b bool) *bool { return &b }

func TestR11_LastAdmissionSessionWins(t *testing.T) {
	t.Parallel()
	results := []SessionResult{
		{Session: 2, ResultCode: "ADM", Favourable: fav(true), Admission: true},
		{Session: 1, ResultCode: "AJ", Favourable: fav(false), Admission: true},
		{Session: 2, ResultCode: "ADMI", Favourable: fav(false), Admission: false}, // admissibility: ignored
	}
	v, r := DecideVerdict(results)
	if v != Admitted || r == nil || r.Session != 2 {
		t.Fatalf("got %v %+v, want admitted at session 2", v, r)
	}
	results = []SessionResult{
		{Session: 1, ResultCode: "ADM", Favourable: fav(true), Admission: true},
		{Session: 2, ResultCode: "AJ", Favourable: fav(false), Admission: true},
	}
	if v, _ := DecideVerdict(results); v != NotAdmitted {
		t.Fatalf("a later unfavourable session must win, got %v", v)
	}
}

func TestR12_VerdictFromCodNegTre(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		res  []SessionResult
		want Verdict
	}{
		{"favourable", []SessionResult{{Session: 0, Favourable: fav(true), Admission: true}}, Admitted},
		{"unfavourable", []SessionResult{{Session: 0, Favourable: fav(false), Admission: true}}, NotAdmitted},
		{"null codNegTre", []SessionResult{{Session: 1, Admission: true}}, NoVerdict},
		{"no result", nil, NoVerdict},
		{"only admissibility", []SessionResult{{Session: 1, Favourable: fav(true)}}, NoVerdict},
	}
	for _, c := range cases {
		if got, _ := DecideVerdict(c.res); got != c.want {
			t.Errorf("%s: got %v, want %v", c.name, got, c.want)
		}
	}
}

func TestR13_DeliveryNotAuthorisedExcludes(t *testing.T) {
	t.Parallel()
	c := &Contract{Results: []SessionResult{{Session: 1, Favourable: fav(true), Admission: true}}}
	a := Assess(c, false, nil)
	if a.Eligible || a.Verdict != Admitted || len(a.Reasons) != 1 || a.Reasons[0] != ReasonDeliveryForbidden {
		t.Fatalf("got %+v", a)
	}
	if a := Assess(c, true, nil); !a.Eligible {
		t.Fatalf("admitted with delivery authorised must be eligible: %+v", a)
	}
}

func TestR15_AnyBlockingExcludes(t *testing.T) {
	t.Parallel()
	c := &Contract{Results: []SessionResult{{Session: 1, Favourable: fav(true), Admission: true}}}
	a := Assess(c, true, []Blocking{{Code: "EXA", Label: "Blocage examens", TypeLabel: "Examens"}})
	if a.Eligible || len(a.Reasons) != 1 || a.Reasons[0] != "blocage : Examens : Blocage examens" {
		t.Fatalf("got %+v", a)
	}
}

func TestR09_OfficialLabelEndToEnd(t *testing.T) {
	t.Parallel()
	got := OfficialLabel([]string{"Licence", "Sciences, technologies, santé", "mention Mathématiques", "", " "}, "parcours Mathématiques fondamentales")
	want := "Licence Sciences, technologies, santé mention Mathématiques parcours Mathématiques fondamentales"
	if got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestR18_TestModeRedirects(t *testing.T) {
	t.Parallel()
	to, real := Recipient("anais.noel@etu.univ-demo.fr", true, "test@univ-demo.fr")
	if to != "test@univ-demo.fr" || real != "anais.noel@etu.univ-demo.fr" {
		t.Fatalf("got %q %q", to, real)
	}
	to, real = Recipient("anais.noel@etu.univ-demo.fr", false, "test@univ-demo.fr")
	if to != "anais.noel@etu.univ-demo.fr" || real != "" {
		t.Fatalf("got %q %q", to, real)
	}
}
