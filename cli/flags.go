package cli

import (
	"database/sql"
	"flag"

	"hypercerts/app"
)

// appFlags are the options every command that opens the app takes.
type appFlags struct {
	demo     *bool
	config   *string
	demoDir  *string
	students *int
}

func addAppFlags(fs *flag.FlagSet) *appFlags {
	return &appFlags{
		demo:     fs.Bool("demo", false, "Apogée embarqué et sorties locales : rien à installer"),
		config:   fs.String("config", "application.yaml", "fichier de configuration"),
		demoDir:  fs.String("demo-dir", app.DefaultDemoDir, "dossier de la démonstration (base, courriels .eml, Digiposte)"),
		students: fs.Int("demo-students", 0, "nombre d'étudiants de l'Apogée embarqué (défaut 1 500)"),
	}
}

// options turns the flags into app options; noStore for read-only commands.
func (f *appFlags) options(env Env, noStore bool) app.Options {
	return app.Options{ConfigPath: *f.config, Demo: *f.demo, DemoDir: *f.demoDir, DemoStudents: *f.students,
		NoStore: noStore, Getenv: env.Getenv, LogTo: env.Stderr} // log.level and log.format honoured (R18 at INFO)
}

// readOnly is options for commands that only read the store (it is opened read-only).
func (f *appFlags) readOnly(env Env) app.Options {
	o := f.options(env, false)
	o.ReadOnlyStore = true
	return o
}

func sqlNamed(name string, v any) sql.NamedArg { return sql.Named(name, v) }
