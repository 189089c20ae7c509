package cli

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"hypercerts/app"
	"hypercerts/domain"
	"hypercerts/ui/i18n"
)

func runHubEE(ctx context.Context, env Env, args []string) error {
	return dispatch(ctx, env, args, "Usage : hypercerts hubee sync|list|retry [--demo | --config FICHIER]", []subcommand{
		{"sync", hubeeSync}, {"list", hubeeList}, {"retry", hubeeRetry}})
}

// hubeeRetry takes up a case the sync handed to a person.
func hubeeRetry(ctx context.Context, env Env, args []string) error {
	fs := newFlags(env, "hubee retry", `hypercerts hubee retry --case IDENTIFIANT [--demo | --config FICHIER]

Reprend un dossier HubEE que la synchronisation a confié à un gestionnaire (ou laissé en
attente), une fois la cause traitée : il repart de l'étape atteinte. Code de sortie 1 si
le dossier échoue encore.

Exemple :
  hypercerts hubee retry --case 0b7c4c1e-5a2d-4f7e-9a55-4d1f0c2b9e31`)
	id := fs.String("case", "", "identifiant HubEE du dossier (entre parenthèses dans hubee sync) ou son n° de télédossier (hubee list)")
	o := addAppFlags(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if *id == "" {
		fmt.Fprintln(env.Stderr, "--case est obligatoire")
		fs.Usage()
		return errUsage
	}
	a, err := openApp(ctx, o, o.options(env, false))
	if err != nil {
		return err
	}
	defer a.Close()
	caseID := *id // the HubEE id, or the télédossier number shown by hubee list
	if cases, err := a.Engine.HubEECases(ctx, a.User); err == nil {
		for _, c := range cases {
			if c.ExternalID == *id {
				caseID = c.CaseID
			}
		}
	}
	c, err := a.Engine.HubEERetry(ctx, a.User, caseID)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "Dossier HubEE %s repris : %s, %s.\n", hubeeDash(c.ExternalID), c.Step.Label(), c.Outcome.Label())
	return nil
}

// hubeeSync runs one SI cycle, prints its report and the cases it touched.
func hubeeSync(ctx context.Context, env Env, args []string) error {
	fs := newFlags(env, "hubee sync", `hypercerts hubee sync [--demo | --config FICHIER]

Relève les notifications HubEE des démarches configurées, accuse réception des dossiers
et répond aux demandes d'attestation (dépôt du PDF ou refus motivé). Le démon le fait
selon daemon.schedules.hubee_sync.

Exemple :
  hypercerts hubee sync --demo`)
	o := addAppFlags(fs)
	a, err := parseAndOpenApp(ctx, fs, o, args, func() app.Options { return o.options(env, false) })
	if err != nil {
		return err
	}
	defer a.Close()
	rep, err := a.Engine.HubEESync(ctx)
	WriteHubEEReport(env.Stdout, rep)
	if err != nil {
		return err
	}
	cases, lerr := a.Engine.HubEECases(ctx, a.User)
	if lerr == nil && len(cases) > 0 {
		fmt.Fprintln(env.Stdout)
		if err := WriteHubEECases(env.Stdout, cases); err != nil {
			return err
		}
	}
	return hubeeIncomplete(rep)
}

// hubeeIncomplete is the error (exit code 1) of a run whose work did not fully happen:
// cases left for a person, named; else errors on the way (a case put off to the next
// run, a notification the hub would not delete, an unreadable record), counted.
func hubeeIncomplete(rep domain.HubEEReport) error {
	if len(rep.NeedsPerson) == 0 {
		if len(rep.Errors) == 0 {
			return nil
		}
		return fmt.Errorf("%s pendant la relève HubEE (voir le rapport ci-dessus ; les dossiers reportés sont repris au prochain passage) : %s",
			i18n.Count(len(rep.Errors), "%s erreur", "%s erreurs"), rep.Errors[0])
	}
	names := make([]string, 0, len(rep.NeedsPerson))
	for _, c := range rep.NeedsPerson {
		names = append(names, hubeeDash(c.ExternalID)+" ("+c.CaseID+")")
	}
	return fmt.Errorf("%s par un gestionnaire (écran HubEE, ou hypercerts hubee retry --case ID) : %s",
		i18n.Count(len(rep.NeedsPerson), "%s dossier HubEE à reprendre", "%s dossiers HubEE à reprendre"), strings.Join(names, ", "))
}

// hubeeList prints the recorded cases, newest first.
func hubeeList(ctx context.Context, env Env, args []string) error {
	fs := newFlags(env, "hubee list", `hypercerts hubee list [--demo | --config FICHIER]

Liste les télédossiers HubEE reçus, leur statut et leur issue.

Exemple :
  hypercerts hubee list --config /etc/hypercerts/application.yaml`)
	o := addAppFlags(fs)
	a, err := parseAndOpenApp(ctx, fs, o, args, func() app.Options { return o.readOnly(env) })
	if err != nil {
		return err
	}
	defer a.Close()
	cases, err := a.Engine.HubEECases(ctx, a.User)
	if err != nil {
		return err
	}
	if len(cases) == 0 {
		fmt.Fprintln(env.Stdout, "Aucun dossier HubEE reçu.")
		return nil
	}
	return WriteHubEECases(env.Stdout, cases)
}

// WriteHubEEReport prints a sync report in French.
func WriteHubEEReport(w io.Writer, r domain.HubEEReport) {
	fmt.Fprintf(w, "HubEE : %s, %s, %s\n", i18n.Count(r.Notifications, "%s notification traitée", "%s notifications traitées"),
		i18n.Count(r.NewCases, "%s nouveau dossier", "%s nouveaux dossiers"), i18n.Plural(r.NewEvents, i18n.Noun{One: "événement", Many: "événements"}))
	fmt.Fprintf(w, "  attestations déposées : %d   refus : %d   à traiter : %d   erreurs d'intégration : %d   reportés : %d   obsolètes : %d\n",
		r.Delivered, r.Refused, r.ToHandle, r.IntegrationErrors, r.Deferred, r.Obsolete)
	for _, e := range r.Errors {
		fmt.Fprintf(w, "  ! %s\n", e)
	}
	if len(r.NeedsPerson) > 0 {
		fmt.Fprintf(w, "  À reprendre par un gestionnaire : %s\n", i18n.Plural(len(r.NeedsPerson), i18n.NounFolder))
		for _, c := range r.NeedsPerson {
			fmt.Fprintf(w, "  - %s %s (%s) : %s\n", c.Process, hubeeDash(c.ExternalID), c.CaseID, c.LastError)
		}
	}
}

// WriteHubEECases prints the cases as a table.
func WriteHubEECases(w io.Writer, cases []domain.HubEECase) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "REÇU LE\tDÉMARCHE\tN° TÉLÉDOSSIER\tDEMANDEUR\tÉTUDIANT\tSTATUT\tÉTAPE\tRÉSULTAT\tMOTIF")
	for _, c := range cases {
		student := c.StudentCode
		if c.StudentName != "" {
			student += " " + c.StudentName
		}
		reason := c.Reason
		switch {
		case c.NeedsPerson:
			reason = "à reprendre : " + c.LastError
		case c.LastError != "":
			reason = "en attente : " + c.LastError
		}
		if n := len(c.Events); n > 0 {
			reason += " [" + i18n.Count(n, "%s message de l'usager", "%s messages de l'usager") + "]"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", c.Received.Local().Format("02/01/2006 15:04"), c.Process,
			hubeeDash(c.ExternalID), hubeeDash(strings.TrimSpace(c.Applicant.FirstName+" "+c.Applicant.LastName)), hubeeDash(student),
			hubeeDash(string(c.Status)), c.Step.Label(), c.Outcome.Label(), hubeeTruncate(reason, 90))
	}
	return tw.Flush()
}

func hubeeDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

func hubeeTruncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
