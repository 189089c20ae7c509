package apogee

import (
	"bytes"
	"context"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"hypercerts/connectors/apogee/sim"
	"hypercerts/domain"
	"hypercerts/render"
)

// TestR08_BirthDateIsTheParisDay_SummerAndWinter: the embedded Apogée sends a birth date
// as Axis 1 does (GMT instant of midnight in Paris, with milliseconds and Z); the client
// must print the Paris calendar day on the attestation, in summer (UTC+2) as in winter
// (UTC+1). Read back from the PDF with pdftotext.
func TestR08_BirthDateIsTheParisDay_SummerAndWinter(t *testing.T) {
	pdftotext := needTool(t, "pdftotext", "poppler-utils")
	a, err := sim.Open(sim.Options{Seed: 3, Students: 20})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.Close() })
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(srv.Close)
	w := newTestWS(t, srv.URL)
	ctx := context.Background()
	var code string
	if err := a.DB().QueryRowContext(ctx, `SELECT COD_ETU FROM INDIVIDU ORDER BY COD_ETU LIMIT 1`).Scan(&code); err != nil {
		t.Fatal(err)
	}
	r, err := render.New(render.Options{University: "Université de Démo", City: "Lyon"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, stored, wire, printed string
	}{
		{"summer", "1999-05-14", "1999-05-13T22:00:00.000Z", "né(e) le 14 mai 1999"},
		{"winter", "2000-01-14", "2000-01-13T23:00:00.000Z", "né(e) le 14 janvier 2000"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := a.DB().ExecContext(ctx, `UPDATE INDIVIDU SET DATE_NAI_IND = ? WHERE COD_ETU = ?`, tc.stored, code); err != nil {
				t.Fatal(err)
			}
			// What goes over the wire is Axis' GMT form, not the stored day.
			body := rawCall(t, srv.URL+"/services/EtudiantMetier", `<apo:recupererInfosAdmEtu_v4 xmlns:apo="gouv.education.apogee.commun.servicesmetiers.EtudiantMetier"><_codEtu>`+code+`</_codEtu></apo:recupererInfosAdmEtu_v4>`)
			if !strings.Contains(body, "<dateNaissance>"+tc.wire+"</dateNaissance>") {
				t.Fatalf("the embedded Apogée does not send %s as Axis does (%s):\n%s", tc.stored, tc.wire, body)
			}
			info, err := w.AdminInfo(ctx, code)
			if err != nil {
				t.Fatal(err)
			}
			want, _ := time.Parse("2006-01-02", tc.stored)
			if !info.BirthDate.Equal(want) {
				t.Errorf("BirthDate = %s, want %s", info.BirthDate, want)
			}
			var pdf bytes.Buffer
			att := domain.Attestation{
				Student: domain.Student{Code: code, LastName: info.LastName, FirstName1: info.FirstName1,
					BirthDate: info.BirthDate, BirthPlace: info.BirthPlace},
				DiplomaLabel: "Licence Mathématiques", YearLabel: "2024-2025",
				Signature: domain.Signature{Code: "PRES", Name: "Jean-Marc Fontaine", Title: "Le Président"},
				IssuedAt:  time.Date(2025, 7, 1, 10, 0, 0, 0, time.UTC),
			}
			if err := r.Render(&pdf, att); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), "a.pdf")
			if err := os.WriteFile(path, pdf.Bytes(), 0o600); err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command(pdftotext, "-enc", "UTF-8", path, "-").CombinedOutput()
			if err != nil {
				t.Fatalf("pdftotext: %v\n%s", err, out)
			}
			text := strings.Join(strings.Fields(string(out)), " ")
			if !strings.Contains(text, tc.printed) {
				t.Errorf("the attestation does not say %q:\n%s", tc.printed, text)
			}
		})
	}
}
