package cli

import (
	"context"
	"fmt"
	"sort"

	"hypercerts/app"
	"hypercerts/domain"
	"hypercerts/export"
	"hypercerts/internal/safefile"
)

func runPreview(ctx context.Context, env Env, args []string) error {
	fs := newFlags(env, "preview", `hypercerts preview [--demo | --config FICHIER] --year 2024 --component SCI --vdi LMATH/201 [--vet L3MATH/201 ...] [--csv FICHIER]

Aperçu d'une campagne sans rien envoyer : chaque étudiant des VET diplômantes avec son
verdict, sa mention, ses ECTS, ses blocages et l'adresse d'envoi ; totaux à la fin.
--csv écrit un fichier pour LibreOffice ou Excel (UTF-8, séparateur ;).

Exemples :
  hypercerts preview --demo --year 2024 --component SCI --vdi LMATH/201
  hypercerts preview --demo --year 2024 --component SCI --vdi LINFO/201 --vet L3INFN/201 --csv apercu.csv`)
	o := addAppFlags(fs)
	year := fs.String("year", "", "année universitaire (cod_anu, 2024 = 2024-2025)")
	component := fs.String("component", "", "code de la composante (ex. SCI)")
	vdiFlag := fs.String("vdi", "", "VDI sous la forme CODE_DIPLOME/VERSION (ex. LMATH/201)")
	var vetFlags multiFlag
	fs.Var(&vetFlags, "vet", "VET diplômante ETAPE/VERSION (répétable ; défaut : toutes)")
	csvPath := fs.String("csv", "", "écrire le CSV (UTF-8, séparateur ;) dans ce fichier au lieu du tableau")
	force := fs.Bool("force", false, "remplacer le fichier --csv s'il existe")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *csvPath != "" { // before reading Apogée, not after
		if err := safefile.Check(*csvPath, *force); err != nil {
			return fmt.Errorf("CSV : %w", err)
		}
	}
	req, err := previewRequest(*year, *component, *vdiFlag, vetFlags)
	if err != nil {
		return err
	}
	a, err := app.Open(ctx, o.options(env, true))
	if err != nil {
		return err
	}
	defer a.Close()
	events, err := a.Engine.Preview(ctx, a.User, req)
	if err != nil {
		return err
	}
	var rows []domain.Row
	progress := newProgressLine(env.Stderr)
	for ev := range events {
		switch {
		case ev.Row != nil:
			rows = append(rows, *ev.Row)
			progress.show(fmt.Sprintf("lecture Apogée : %d/%d étudiants", len(rows), progress.total))
		case ev.Done:
			progress.clear()
			if ev.Err != nil {
				return ev.Err
			}
		default:
			progress.total = ev.Total
		}
	}
	domain.SortRows(rows)
	if *csvPath == "" {
		return WritePreviewTable(env.Stdout, rows)
	}
	if err := export.WritePreviewCSVFile(*csvPath, rows, *force); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "%d étudiants écrits dans %s\n", len(rows), *csvPath)
	return nil
}

func previewRequest(year, component, vdiKey string, vetKeys []string) (domain.PreviewRequest, error) {
	var missing []string
	for name, v := range map[string]string{"--year": year, "--component": component, "--vdi": vdiKey} {
		if v == "" {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return domain.PreviewRequest{}, fmt.Errorf("options obligatoires manquantes : %v (voir --help)", sorted(missing))
	}
	vdi, err := domain.ParseVDI(vdiKey)
	if err != nil {
		return domain.PreviewRequest{}, err
	}
	req := domain.PreviewRequest{Year: year, Component: component, VDI: vdi}
	for _, k := range vetKeys {
		vet, err := domain.ParseVET(k)
		if err != nil {
			return domain.PreviewRequest{}, err
		}
		req.VETs = append(req.VETs, vet)
	}
	return req, nil
}

func sorted(s []string) []string {
	sort.Strings(s)
	return s
}
