package cli

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"hypercerts/app"
	"hypercerts/domain"
	"hypercerts/store"
)

var attestationCommand = command{name: "attestation",
	summary: "attestations délivrées : show RÉF, revoke RÉF --reason, keys, rotate-key", run: runAttestation}

func runAttestation(ctx context.Context, env Env, args []string) error {
	return dispatch(ctx, env, args, "Usage : hypercerts attestation show RÉF|revoke RÉF --reason MOTIF|keys|rotate-key [options]", []subcommand{
		{"show", attestationShow}, {"revoke", attestationRevoke}, {"keys", attestationKeys}, {"rotate-key", attestationRotateKey}})
}

func attestationShow(ctx context.Context, env Env, args []string) error {
	fs := newFlags(env, "attestation show", `hypercerts attestation show [--demo | --config FICHIER] RÉFÉRENCE

Retrouve une attestation par sa référence (imprimée sur l'attestation, par exemple
4ZCD-26RG-W84) : étudiant, campagne, état, révocation. Les minuscules, les espaces et
l'absence de tirets sont acceptés ; une faute de frappe est signalée par le caractère
de contrôle.

Exemple :
  hypercerts attestation show --demo 4ZCD-26RG-W84`)
	o := addAppFlags(fs)
	a, ref, err := parseAndOpen(ctx, fs, o, args, func() app.Options { return o.options(env, false) })
	if err != nil {
		return err
	}
	defer a.Close()
	info, err := a.Engine.FindAttestation(ctx, a.User, ref)
	if err != nil {
		return err
	}
	printAttestation(env, info)
	return nil
}

func printAttestation(env Env, info domain.AttestationInfo) {
	w := env.Stdout
	fmt.Fprintf(w, "Attestation %s\n", info.Reference)
	fmt.Fprintf(w, "  %-16s %s (%s)\n", "Étudiant", info.StudentName, info.StudentCode)
	if info.Campaign != nil {
		c := info.Campaign
		fmt.Fprintf(w, "  %-16s %s — %s %s, %s\n", "Campagne", c.ID, c.VDI.Key(), c.DiplomaLabel, domain.AcademicYearLabel(c.Year))
		fmt.Fprintf(w, "  %-16s %s (le %s)\n", "État", info.Entry.State.Label(), info.Entry.UpdatedAt.Local().Format("02/01/2006 15:04"))
	} else {
		fmt.Fprintf(w, "  %-16s %s, %s (attestation unitaire)\n", "Diplôme", info.VDI.Key(), domain.AcademicYearLabel(info.Year))
		fmt.Fprintf(w, "  %-16s %s\n", "Délivrée le", info.IssuedAt.Local().Format("02/01/2006 15:04"))
	}
	if info.Revocation != nil {
		fmt.Fprintf(w, "  %-16s %s\n", "Statut", info.Revocation)
	} else {
		fmt.Fprintf(w, "  %-16s %s\n", "Statut", "valide (non révoquée)")
	}
}

func attestationRevoke(ctx context.Context, env Env, args []string) error {
	fs := newFlags(env, "attestation revoke", `hypercerts attestation revoke [--demo | --config FICHIER] RÉFÉRENCE --reason MOTIF

Révoque une attestation : la page de vérification et « hypercerts verify » la disent
désormais révoquée (date, motif). Réservé aux gestionnaires de la composante (R02) ;
inscrit au journal de la campagne. Le motif (obligatoire, une ligne, 300 caractères au
plus) est affiché publiquement : n'y mettez aucune donnée personnelle. Une révocation
est définitive : la refaire avec le même motif ne change rien, un autre motif est refusé.

Exemple :
  hypercerts attestation revoke --demo 4ZCD-26RG-W84 --reason "délivrée par erreur (note corrigée)"`)
	o := addAppFlags(fs)
	reason := fs.String("reason", "", "motif de la révocation (obligatoire, affiché aux vérificateurs)")
	a, ref, err := parseAndOpen(ctx, fs, o, args, func() app.Options { return o.options(env, false) })
	if err != nil {
		return err
	}
	defer a.Close()
	r, err := a.Engine.RevokeAttestation(ctx, a.User, ref, *reason)
	if err != nil {
		return err
	}
	if r.Repeated {
		fmt.Fprintf(env.Stdout, "attestation %s déjà %s : rien n'a changé\n", r.Reference, r)
		return nil
	}
	fmt.Fprintf(env.Stdout, "attestation %s %s\n", r.Reference, r)
	return nil
}

// parseAndOpenStore parses a command's flags (no argument), then openStoreOnly.
func parseAndOpenStore(fs *flag.FlagSet, o *appFlags, args []string, readOnly bool) (*store.Store, error) {
	if err := parse(fs, args); err != nil {
		return nil, err
	}
	return openStoreOnly(o, readOnly)
}

// openStoreOnly opens the base alone (no Apogée): key commands run beside nothing else.
// Read-only for what only reads (keys, verify): nothing is written, no key is made.
func openStoreOnly(o *appFlags, readOnly bool) (*store.Store, error) {
	cfg, err := loadConfig(o)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(cfg.Store.Path); err != nil { // never create an empty base here
		return nil, fmt.Errorf("base %s : %w", cfg.Store.Path, err)
	}
	if readOnly {
		return store.OpenReadOnly(cfg.Store.Path, cfg.Store.OpenTimeout)
	}
	return store.Open(cfg.Store.Path, cfg.Store.OpenTimeout)
}

func attestationKeys(ctx context.Context, env Env, args []string) error {
	fs := newFlags(env, "attestation keys", `hypercerts attestation keys [--demo | --config FICHIER]

Écrit les clés publiques de l'université (actuelle et anciennes), au format JWK Set,
pour vérifier les attestations hors ligne (hypercerts verify --keys FICHIER). La page
de vérification sert la même liste à /.well-known/hypercerts-keys.json.

Exemple :
  hypercerts attestation keys --demo > cles-univ.json`)
	o := addAppFlags(fs)
	st, err := parseAndOpenStore(fs, o, args, true)
	if err != nil {
		return err
	}
	defer st.Close()
	pubs, err := st.AttestationPublicKeys()
	if err != nil {
		return err
	}
	if len(pubs) == 0 {
		return fmt.Errorf("aucune clé : elle est créée au premier démarrage (démon, interface ou campagne)")
	}
	data, err := pubs.JWKS()
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(env.Stdout, "%s\n", data)
	return err
}

func attestationRotateKey(ctx context.Context, env Env, args []string) error {
	fs := newFlags(env, "attestation rotate-key", `hypercerts attestation rotate-key [--demo | --config FICHIER]

Crée une nouvelle clé de signature des attestations et retire l'actuelle : les
attestations déjà délivrées restent vérifiables (la clé publique retirée reste dans la
liste), les nouvelles sont signées par la nouvelle clé. À faire si la base a pu fuiter,
et par hygiène (par exemple chaque année). Faites une sauvegarde ensuite.

Exemple :
  hypercerts attestation rotate-key --config /etc/hypercerts/application.yaml`)
	o := addAppFlags(fs)
	st, err := parseAndOpenStore(fs, o, args, false)
	if err != nil {
		return err
	}
	defer st.Close()
	k, err := st.RotateAttestationKey(time.Now())
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "nouvelle clé de signature des attestations : %s (les anciennes restent valables pour la vérification)\n", k.ID)
	return nil
}
