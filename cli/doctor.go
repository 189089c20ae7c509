package cli

import (
	"context"
	"errors"
	"os"
	"time"

	"hypercerts/app"
	"hypercerts/config"
	"hypercerts/doctor"
)

const doctorSynopsis = `hypercerts doctor [--demo | --config FICHIER] [--timeout 15s] [--schema]

Vérifie l'installation, une ligne par point avec ✓ (bon), ✗ (en échec, avec quoi faire),
! (à regarder) ou – (non configuré) : la configuration (toutes les erreurs à la fois),
les secrets, la base (schéma, taille ; tenue par le démon ou non), la base Apogée (chaque
requête SQL du site), chaque web service Apogée (il répond, espace de noms conforme), la
signature du président, le relais SMTP (connexion, STARTTLS, authentification ; aucun
envoi), le serveur SFTP de Digiposte (clé d'hôte, dossiers inscriptibles ; rien n'est
laissé), un jeton HubEE par démarche, le CAS. Ne modifie rien. Code de sortie 1 si une
vérification échoue : utilisable en supervision ou avant "systemctl start".

Avec --schema : sonde du schéma Apogée. Pour chaque fichier de requête SQL (surcharges
du site comprises), lit le dictionnaire de données (ALL_TAB_COLUMNS sous Oracle, synonymes
compris ; pragma table_info sur l'Apogée embarqué) et dit quelles tables et colonnes
existent, lesquelles manquent, et la surcharge à écrire. Code de sortie 1 s'il en manque.

Exemples :
  sudo -u hypercerts env $(cat /etc/hypercerts/secrets.env) hypercerts doctor --config /etc/hypercerts/application.yaml
  hypercerts doctor --demo
  hypercerts doctor --config /etc/hypercerts/application.yaml --schema`

func runDoctor(ctx context.Context, env Env, args []string) error {
	fs := newFlags(env, "doctor", doctorSynopsis)
	o := addAppFlags(fs)
	timeout := fs.Duration("timeout", 15*time.Second, "délai maximal de chaque vérification réseau")
	schema := fs.Bool("schema", false, "sonde du schéma Apogée : tables et colonnes de chaque requête SQL, trouvées ou manquantes")
	if err := parse(fs, args); err != nil {
		return err
	}
	var cfg *config.Config
	if *o.demo {
		dir := *o.demoDir
		if dir == "" {
			dir = app.DefaultDemoDir
		}
		if err := os.MkdirAll(dir, 0o700); err != nil { // as the demo does at start
			return err
		}
		cfg = config.Demo(dir)
	} else {
		var err error
		if cfg, err = config.Load(*o.config); err != nil {
			doctor.Print(env.Stdout, []doctor.Result{doctor.ConfigFailure(*o.config, err)})
			return errDoctorFailed
		}
	}
	if *schema {
		err := doctor.Schema(ctx, cfg, env.Stdout)
		if errors.Is(err, doctor.ErrSchemaMismatch) {
			return errDoctorFailed
		}
		return err
	}
	results := doctor.Run(ctx, cfg, doctor.Options{Timeout: *timeout, Getenv: env.Getenv})
	if doctor.Print(env.Stdout, results) > 0 {
		return errDoctorFailed
	}
	return nil
}

// errDoctorFailed: the report says what failed; exit code 1 without another message.
var errDoctorFailed = errUsage
