package doctor

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"

	"hypercerts/config"
	"hypercerts/connectors/apogee"
	"hypercerts/connectors/apogee/sim"
	"hypercerts/ui/i18n"
)

// ErrSchemaMismatch: the schema probe found a table or column missing.
var ErrSchemaMismatch = errors.New("schéma Apogée : tables ou colonnes manquantes")

// Schema runs the Apogée schema probe (`hypercerts doctor --schema`): for every query
// file in use (site overrides included), the tables and columns it needs, found or
// missing in the data dictionary (Oracle ALL_TAB_COLUMNS with synonyms; pragma
// table_info on the embedded Apogée), and the override to write. ErrSchemaMismatch
// when something is missing.
func Schema(ctx context.Context, cfg *config.Config, w io.Writer) error {
	var db *sql.DB
	if cfg.Apogee.Embedded {
		s, err := sim.Open(sim.Options{Seed: 1, Students: 50})
		if err != nil {
			//lint:ignore ST1005 Apogée is a proper noun
			return fmt.Errorf("Apogée embarqué : %w", err)
		}
		defer s.Close()
		db = s.DB()
	} else {
		dsn, err := cfg.ApogeeDSN()
		if err != nil {
			return err
		}
		if db, err = sql.Open("oracle", dsn.Reveal()); err != nil {
			return fmt.Errorf("base Apogée : %w", err)
		}
		defer db.Close()
	}
	q, err := apogee.OpenDB(db, cfg.Apogee.DB.Dialect, cfg.Apogee.DB.QueriesDir)
	if err != nil {
		return err
	}
	reports, err := q.ProbeSchema(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintln(w, "Schéma Apogée vu par ce compte, pour chaque requête SQL de hypercerts :")
	if n := apogee.WriteSchemaReport(w, reports, cfg.Apogee.DB.QueriesDir); n > 0 {
		fmt.Fprintln(w, i18n.Count(n, "%s fichier de requête à surcharger avant la mise en service.", "%s fichiers de requête à surcharger avant la mise en service."))
		return ErrSchemaMismatch
	}
	fmt.Fprintln(w, "Toutes les tables et colonnes utilisées existent.")
	return nil
}
