package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"hypercerts/app"
	"hypercerts/domain"
	"hypercerts/internal/safefile"
	"hypercerts/store"
)

func runRender(ctx context.Context, env Env, args []string) error {
	fs := newFlags(env, "render", `hypercerts render [--demo | --config FICHIER] --student CODE [--year 2024 --vdi LMATH/201] --out FICHIER.pdf

Produit l'attestation PDF d'un étudiant éligible, avec les mêmes règles qu'une campagne,
sans rien envoyer : pour vérifier la mise en page, la signature et le libellé.

Exemples :
  hypercerts render --demo --student 21000007 --out attestation.pdf
  hypercerts render --config application.yaml --student 21000007 --year 2024 --vdi LMATH/201 --out a.pdf`)
	o := addAppFlags(fs)
	student := fs.String("student", "", "code étudiant (cod_etu)")
	year := fs.String("year", "", "année universitaire (en démo : celle de l'inscription de l'étudiant)")
	vdiFlag := fs.String("vdi", "", "VDI CODE_DIPLOME/VERSION (en démo : celle de l'inscription de l'étudiant)")
	out := fs.String("out", "", "fichier PDF à écrire")
	force := fs.Bool("force", false, "remplacer le fichier --out s'il existe")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *student == "" || *out == "" {
		fs.Usage()
		return fmt.Errorf("--student et --out sont obligatoires")
	}
	if err := safefile.Check(*out, *force); err != nil {
		return fmt.Errorf("attestation : %w", err)
	}
	// With the base, the attestation is sealed (QR code) and its reference recorded; the
	// daemon may hold it, and the page is still worth seeing without.
	a, err := app.Open(ctx, o.options(env, false))
	if errors.Is(err, store.ErrInUse) {
		fmt.Fprintln(env.Stderr, "base tenue par le démon : attestation produite sans QR code, sa référence n'est pas enregistrée")
		a, err = app.Open(ctx, o.options(env, true))
	}
	if err != nil {
		return err
	}
	defer a.Close()
	if (*year == "" || *vdiFlag == "") && a.Sim != nil {
		y, v, err := demoRegistration(ctx, a, *student)
		if err != nil {
			return err
		}
		if *year == "" {
			*year = y
		}
		if *vdiFlag == "" {
			*vdiFlag = v
		}
	}
	if *year == "" || *vdiFlag == "" {
		return fmt.Errorf("--year et --vdi sont obligatoires hors démonstration")
	}
	vdi, err := domain.ParseVDI(*vdiFlag)
	if err != nil {
		return err
	}
	var pdf bytes.Buffer
	row, err := a.Engine.StudentAttestationAs(ctx, a.User, *year, vdi, *student, &pdf)
	if err != nil {
		return err
	}
	// A student's personal data: 0600, never through a planted link (safefile).
	if err := safefile.Write(*out, safefile.Options{Force: *force}, func(w io.Writer) error { _, err := w.Write(pdf.Bytes()); return err }); err != nil {
		return fmt.Errorf("attestation non écrite : %w", err)
	}
	fmt.Fprintf(env.Stdout, "attestation de %s (%s, %s %s) écrite dans %s (%d octets)\n", row.Student.FullName(), row.Student.Code,
		vdi.Key(), domain.AcademicYearLabel(*year), *out, pdf.Len())
	if ref := row.Reference; ref != "" {
		fmt.Fprintf(env.Stdout, "référence : %s\n", ref)
	}
	return nil
}

// demoRegistration finds, in the embedded Apogée, the latest registration of a student.
func demoRegistration(ctx context.Context, a *app.App, code string) (year, vdi string, err error) {
	err = a.Sim.DB().QueryRowContext(ctx, `SELECT i.COD_ANU, i.COD_DIP || '/' || i.COD_VRS_VDI
		FROM INS_ADM_ETP i JOIN INDIVIDU n ON n.COD_IND = i.COD_IND
		WHERE n.COD_ETU = :etu ORDER BY i.COD_ANU DESC LIMIT 1`, sqlNamed("etu", code)).Scan(&year, &vdi)
	if err != nil {
		return "", "", fmt.Errorf("étudiant %s introuvable dans l'Apogée de démonstration", code)
	}
	return year, vdi, nil
}
