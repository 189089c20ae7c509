package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"hypercerts/app"
	"hypercerts/domain"
	"hypercerts/ui/i18n"
)

func runCampaign(ctx context.Context, env Env, args []string) error {
	return dispatch(ctx, env, args, "Usage : hypercerts campaign run|list|show ID|relaunch ID|resume [options]", []subcommand{
		{"run", campaignRun}, {"list", campaignList}, {"show", campaignShow}, {"relaunch", campaignRelaunch}, {"resume", campaignResume}})
}

func campaignRun(ctx context.Context, env Env, args []string) error {
	fs := newFlags(env, "campaign run", `hypercerts campaign run [--demo | --config FICHIER] --year 2024 --component SCI --vdi LMATH/201 [--vet E/V ...] [--test-mode [--test-recipient ADRESSE]] [--mode mail|digiposte] [--detach]

Crée la campagne (année, composante, VDI et ses VET diplômantes), relit chaque étudiant
dans Apogée, puis génère et envoie les attestations des éligibles en affichant la
progression. Chaque étape est enregistrée avant la suivante : Ctrl-C ou un arrêt
n'envoie rien deux fois (reprise : hypercerts campaign resume). En mode Digiposte, la
campagne attend le cycle du démon.

Avant le premier étudiant, le serveur de courriel est vérifié (connexion, EHLO,
STARTTLS ou TLS, authentification) : s'il échoue, rien n'est enregistré et le message
dit quoi corriger. S'il tombe en cours de route (mail.suspend_after échecs temporaires
de suite), la campagne est suspendue ; campaign resume ou le démon la poursuivent.

`+exitCodesHelp+`

Exemples :
  hypercerts campaign run --demo --year 2024 --component SCI --vdi LMATH/201
  hypercerts campaign run --config /etc/hypercerts/application.yaml --year 2024 \
      --component SCI --vdi LMATH/201 --test-mode --test-recipient scolarite@univ.fr`)
	o := addAppFlags(fs)
	year := fs.String("year", "", "année universitaire (cod_anu, 2024 = 2024-2025)")
	component := fs.String("component", "", "code de la composante")
	vdiFlag := fs.String("vdi", "", "VDI CODE_DIPLOME/VERSION")
	var vets multiFlag
	fs.Var(&vets, "vet", "VET diplômante ETAPE/VERSION (répétable ; défaut : toutes)")
	testMode := fs.Bool("test-mode", false, "mode test : tous les courriels vont à l'adresse de test")
	testRecipient := fs.String("test-recipient", "", "adresse de test (défaut : delivery.test_recipient)")
	mode := fs.String("mode", "", strings.Join(domain.ModeNames(), ", ")+" (défaut : delivery.mode)")
	detach := fs.Bool("detach", false, "rendre la main dès la campagne enregistrée (le démon la poursuit)")
	includeServed := fs.Bool("include-served", false, "inclure les étudiants qui ont déjà reçu cette attestation dans une campagne précédente (exclus par défaut ; noté au journal)")
	if err := parse(fs, args); err != nil {
		return err
	}
	req, err := previewRequest(*year, *component, *vdiFlag, vets)
	if err != nil {
		return err
	}
	if _, ok := domain.ChannelOf(domain.Mode(*mode)); *mode != "" && !ok {
		return fmt.Errorf("--mode %q : attendu %s", *mode, strings.Join(domain.ModeNames(), " ou "))
	}
	if *testMode && *testRecipient == "" && *o.demo {
		*testRecipient = "test-scolarite@univ-demo.fr"
	}
	a, err := openApp(ctx, o, o.options(env, false))
	if err != nil {
		return err
	}
	defer a.Close()
	fmt.Fprintf(env.Stderr, "étudiants : %s (la ligne de commande n'a pas d'aperçu à reprendre)…\n", domain.SourceFullRead)
	camp, err := a.Engine.Launch(ctx, a.User, req, domain.LaunchOptions{Mode: domain.Mode(*mode), TestMode: *testMode,
		TestRecipient: *testRecipient, IncludeServed: *includeServed})
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "campagne %s enregistrée : %d étudiants, %d éligibles\n", camp.ID, total(camp.Counts), camp.Counts[domain.EntryEligible])
	if n, last := camp.Served, camp.ServedLast; n > 0 && !*includeServed {
		fmt.Fprintf(env.Stdout, "%s dans une campagne précédente (dernier envoi le %s) : %s de celle-ci (--include-served pour les inclure)\n",
			i18n.Count(n, "%s étudiant déjà servi", "%s étudiants déjà servis"), last.Format("02/01/2006 à 15:04"), i18n.Word(n, i18n.Noun{One: "exclu", Many: "exclus"}))
	} else if *includeServed {
		fmt.Fprintln(env.Stdout, "étudiants déjà servis inclus à votre demande (noté au journal de la campagne)")
	}
	if ch, ok := domain.ChannelOf(camp.Mode); ok && domain.Scheduled(ch) {
		fmt.Fprintf(env.Stdout, "mode %s : la campagne attend le cycle planifié du démon (hypercerts --daemon)\n", ch.Label())
		return nil
	}
	if *detach {
		return a.Engine.Shutdown(context.Background())
	}
	return follow(ctx, env, a, camp.ID)
}

// follow prints the progress of a running campaign until it ends. Ctrl-C stops the
// work cleanly: the campaign stays "en cours" and resumes at the next start.
func follow(ctx context.Context, env Env, a *app.App, id string) error {
	updates, stop, err := a.Engine.Watch(ctx, a.User, id)
	if err != nil {
		return err
	}
	defer stop()
	line := newProgressLine(env.Stderr)
	for {
		select {
		case <-ctx.Done():
			line.clear()
			fmt.Fprintln(env.Stderr, "interruption : fin des envois en cours…")
			sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if err := a.Engine.Shutdown(sctx); err != nil {
				return err
			}
			return withCode(ExitSuspended, fmt.Errorf("campagne %s interrompue : elle reprendra au prochain démarrage (hypercerts campaign resume)", id))
		case p, ok := <-updates:
			if !ok {
				return nil
			}
			line.show(progressText(p))
			if p.Done {
				line.clear()
				printCounts(env.Stdout, p.Counts)
				if a.MailDir != "" && p.Counts[domain.EntryMailed] > 0 {
					fmt.Fprintf(env.Stdout, "courriels écrits dans %s\n", a.MailDir)
				}
				if a.PrintDir != "" && p.Counts[domain.EntryPrinted] > 0 {
					fmt.Fprintf(env.Stdout, "lot d'impression (PDF et CSV) écrit dans %s\n", a.PrintDir)
				}
				return outcome(id, p)
			}
		}
	}
}

func progressText(p domain.Progress) string {
	s := fmt.Sprintf("%d/%d traités", p.Processed, p.ToDo)
	if p.Throughput > 0 {
		s += fmt.Sprintf(" — %.1f/s, reste %s", p.Throughput, p.ETA().Round(time.Second))
	}
	if p.Current != "" {
		s += " — " + p.Current
	}
	return s
}

// printCounts prints the counts per state in the domain's order of states.
func printCounts(w io.Writer, counts map[domain.EntryState]int) {
	var parts []string
	seen := map[domain.EntryState]bool{}
	for _, st := range domain.States() {
		seen[st.State] = true
		if n := counts[st.State]; n > 0 {
			parts = append(parts, fmt.Sprintf("%s : %d", st.Label, n))
		}
	}
	var rest []string
	for s, n := range counts {
		if !seen[s] && n > 0 {
			rest = append(rest, fmt.Sprintf("%s : %d", s.Label(), n))
		}
	}
	sort.Strings(rest)
	fmt.Fprintln(w, strings.Join(append(parts, rest...), ", "))
}

func total(counts map[domain.EntryState]int) int {
	n := 0
	for _, c := range counts {
		n += c
	}
	return n
}

func campaignList(ctx context.Context, env Env, args []string) error {
	fs := newFlags(env, "campaign list", `hypercerts campaign list [--demo | --config FICHIER]

Liste les campagnes de vos composantes, les plus récentes d'abord.

Exemple :
  hypercerts campaign list --demo`)
	o := addAppFlags(fs)
	a, err := parseAndOpenApp(ctx, fs, o, args, func() app.Options { return o.readOnly(env) })
	if err != nil {
		return err
	}
	defer a.Close()
	camps, err := a.Engine.Campaigns(ctx, a.User)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "Campagne\tAnnée\tComposante\tVDI\tMode\tÉtat\tÉtudiants\tEnvoyés\tÉchecs\tCréée le")
	for _, c := range camps {
		mode := c.Mode.Label()
		if c.TestMode {
			mode += " (test)"
		}
		by := domain.CountOutcomes(c.Counts)
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t%s\n", c.ID, domain.AcademicYearLabel(c.Year), c.Component.Code,
			c.VDI.Key(), mode, c.State.Label(), total(c.Counts), by[domain.OutcomeServed],
			by[domain.OutcomeFailed], c.CreatedAt.Format("02/01/2006 15:04"))
	}
	if len(camps) == 0 {
		fmt.Fprintln(tw, "(aucune campagne)")
	}
	return tw.Flush()
}

func campaignShow(ctx context.Context, env Env, args []string) error {
	fs := newFlags(env, "campaign show", `hypercerts campaign show [--demo | --config FICHIER] ID

Montre une campagne : décomptes, état de chaque étudiant avec son motif, journal.

Exemple :
  hypercerts campaign show --demo 20261123-121700-LMATH-201`)
	o := addAppFlags(fs)
	a, id, err := parseAndOpen(ctx, fs, o, args, func() app.Options { return o.readOnly(env) })
	if err != nil {
		return err
	}
	defer a.Close()
	c, err := a.Engine.Campaign(ctx, a.User, id)
	if err != nil {
		return err
	}
	entries, err := a.Engine.Entries(ctx, a.User, id)
	if err != nil {
		return err
	}
	audit, err := a.Engine.Audit(ctx, a.User, id)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "Campagne %s — %s %s, %s (%s), %s, état : %s\n", c.ID, c.VDI.Key(), c.DiplomaLabel,
		domain.AcademicYearLabel(c.Year), c.Component.Code, c.Mode.Label(), c.State.Label())
	if c.TestMode {
		fmt.Fprintf(env.Stdout, "MODE TEST : tous les courriels vont à %s\n", c.TestRecipient)
	}
	if c.Error != "" {
		fmt.Fprintf(env.Stdout, "Erreur : %s\n", c.Error)
	}
	printCounts(env.Stdout, c.Counts)
	fmt.Fprintln(env.Stdout)
	tw := tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "Code\tNom\tPrénoms\tÉtat\tDestinataire\tMotif / erreur")
	for _, e := range entries {
		why := e.LastError
		if why == "" {
			why = strings.Join(e.Reasons, " ; ")
		}
		to := e.Recipient
		if e.RealRecipient != "" {
			to += " (réel : " + e.RealRecipient + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", e.Student.Code, e.Student.LastName, e.Student.FirstNames(), e.State.Label(), to, why)
	}
	tw.Flush()
	fmt.Fprintln(env.Stdout, "\nJournal :")
	for _, r := range audit {
		fmt.Fprintf(env.Stdout, "  %s  %-12s %-10s %s\n", r.At.Format("02/01/2006 15:04:05"), r.User, r.Action, r.Detail)
	}
	return nil
}

func campaignRelaunch(ctx context.Context, env Env, args []string) error {
	fs := newFlags(env, "campaign relaunch", `hypercerts campaign relaunch [--demo | --config FICHIER] ID

Relance une campagne : seuls les étudiants dont l'attestation n'est pas partie sont
repris (R07) ; les exclus restent exclus. Le serveur de courriel est vérifié avant.

`+exitCodesHelp+`

Exemple :
  hypercerts campaign relaunch --demo 20261123-121700-LMATH-201`)
	o := addAppFlags(fs)
	a, id, err := parseAndOpen(ctx, fs, o, args, func() app.Options { return o.options(env, false) })
	if err != nil {
		return err
	}
	defer a.Close()
	if err := a.Engine.Relaunch(ctx, a.User, id); err != nil {
		return err
	}
	return follow(ctx, env, a, id)
}

func campaignResume(ctx context.Context, env Env, args []string) error {
	fs := newFlags(env, "campaign resume", `hypercerts campaign resume [--demo | --config FICHIER]

Reprend les campagnes interrompues (arrêt, coupure) ou suspendues (serveur de courriel
indisponible) ; les envois en cours au moment de l'arrêt sont refaits, les autres
jamais. Le démon le fait seul à son démarrage puis régulièrement
(daemon.schedules.resume_campaigns).

`+exitCodesHelp+`

Exemple :
  hypercerts campaign resume --config /etc/hypercerts/application.yaml`)
	o := addAppFlags(fs)
	a, err := parseAndOpenApp(ctx, fs, o, args, func() app.Options { return o.options(env, false) })
	if err != nil {
		return err
	}
	defer a.Close()
	n, err := a.Engine.Resume(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintln(env.Stdout, i18n.Count(n, "%s campagne reprise", "%s campagnes reprises"))
	var worst error
	for _, id := range a.Engine.Running() {
		if err := follow(ctx, env, a, id); err != nil {
			if exitCode(err) == ExitSuspended && ctx.Err() != nil {
				return err
			}
			fmt.Fprintf(env.Stderr, "campagne %s : %v\n", id, err)
			if worst == nil || exitCode(err) > exitCode(worst) {
				worst = err
			}
		}
	}
	if worst != nil {
		return withCode(exitCode(worst), errors.New("une campagne au moins n'a pas servi tous ses étudiants"))
	}
	return nil
}

// parseWithID parses flags that may come before or after one positional ID.
// parseAndOpen parses a command's flags and its one ID argument, then opens the app with
// the options the parsed flags give; the caller closes it.
func parseAndOpen(ctx context.Context, fs *flag.FlagSet, o *appFlags, args []string, opts func() app.Options) (*app.App, string, error) {
	id, err := parseWithID(fs, args)
	if err != nil {
		return nil, "", err
	}
	a, err := openApp(ctx, o, opts())
	if err != nil {
		return nil, "", err
	}
	return a, id, nil
}

// parseAndOpenApp parses a command's flags (no argument), then opens the app with the
// options the parsed flags give; the caller closes it.
func parseAndOpenApp(ctx context.Context, fs *flag.FlagSet, o *appFlags, args []string, opts func() app.Options) (*app.App, error) {
	if err := parse(fs, args); err != nil {
		return nil, err
	}
	return openApp(ctx, o, opts())
}

func parseWithID(fs *flag.FlagSet, args []string) (string, error) {
	var id string
	var rest []string
	for _, a := range args {
		if id == "" && !strings.HasPrefix(a, "-") && (len(rest) == 0 || !needsValue(rest[len(rest)-1])) {
			id = a
			continue
		}
		rest = append(rest, a)
	}
	if err := fs.Parse(rest); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return "", err
		}
		return "", errUsage
	}
	if id == "" {
		fs.Usage()
		return "", errUsage
	}
	return id, nil
}

func needsValue(flag string) bool {
	name := strings.TrimLeft(flag, "-")
	return !strings.Contains(name, "=") && (name == "config" || name == "demo-dir" || name == "demo-students" ||
		name == "reason" || name == "keys")
}
