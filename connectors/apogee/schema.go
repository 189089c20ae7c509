package apogee

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

// The schema probe (`hypercerts doctor --schema`): several columns the queries use are
// not confirmed by any public source (docs/apogee-sim.md, "ASSUMED columns"). Rather
// than let a site find out by trial and error which one its Apogée lacks, the probe
// reads the database's data dictionary — Oracle's ALL_TAB_COLUMNS for the tables the
// account sees (its own schema, else a private or public synonym), SQLite's
// pragma table_info on the embedded Apogée — and says, per query file, which tables and
// columns exist, which are missing, and the override to write.

// TableUse is one table a query file reads and the columns it needs from it.
type TableUse struct {
	Table   string   // as written, upper case
	Columns []string // upper case, sorted
}

// TableReport is what the dictionary says about one table of a query file.
type TableReport struct {
	Table    string
	Resolved string   // OWNER.TABLE it resolves to (Oracle), "" when missing
	Found    []string // needed columns present
	Missing  []string // needed columns absent (all of them when the table is missing)
	Exists   bool
}

// FileReport is the probe's result for one query file.
type FileReport struct {
	Name   string // e.g. "vdis.sql"
	File   string // where it came from (embedded, or the override path)
	Tables []TableReport
	Advice []string // web-service alternatives to a doubtful column
}

// OK reports whether every table and column the file needs exists.
func (f FileReport) OK() bool {
	for _, t := range f.Tables {
		if !t.Exists || len(t.Missing) > 0 {
			return false
		}
	}
	return true
}

var (
	sqlComment = regexp.MustCompile(`(?m)--.*$`)
	sqlString  = regexp.MustCompile(`'(?:[^']|'')*'`)
	fromJoin   = regexp.MustCompile(`(?i)\b(?:FROM|JOIN)\s+([A-Za-z_][A-Za-z0-9_$#]*)(?:\s+(?:AS\s+)?([A-Za-z_][A-Za-z0-9_]*))?`)
	qualified  = regexp.MustCompile(`\b([A-Za-z_][A-Za-z0-9_$#]*)\.([A-Za-z_][A-Za-z0-9_$#]*)\b`)
	notAlias   = map[string]bool{"ON": true, "WHERE": true, "JOIN": true, "LEFT": true, "RIGHT": true, "INNER": true,
		"OUTER": true, "FULL": true, "CROSS": true, "ORDER": true, "GROUP": true, "UNION": true, "USING": true}
)

// TablesOf reads the tables of a query and the columns it takes from each. The
// queries write every column as alias.column (the files' convention), so a column is
// attributed to its table through the aliases; package calls (PKB_CRY1.decryptLob) and
// DUAL are not tables.
func TablesOf(text string) []TableUse {
	text = sqlString.ReplaceAllString(sqlComment.ReplaceAllString(text, ""), "''")
	alias := map[string]string{}
	var order []string
	for _, m := range fromJoin.FindAllStringSubmatch(text, -1) {
		t := strings.ToUpper(m[1])
		if t == "DUAL" {
			continue
		}
		if _, seen := alias[t]; !seen && !slices.Contains(order, t) {
			order = append(order, t)
		}
		alias[t] = t
		if a := strings.ToUpper(m[2]); a != "" && !notAlias[a] {
			alias[a] = t
		}
	}
	cols := map[string]map[string]bool{}
	for _, m := range qualified.FindAllStringSubmatch(text, -1) {
		t, ok := alias[strings.ToUpper(m[1])]
		if !ok {
			continue
		}
		if cols[t] == nil {
			cols[t] = map[string]bool{}
		}
		cols[t][strings.ToUpper(m[2])] = true
	}
	out := make([]TableUse, 0, len(order))
	for _, t := range order {
		var c []string
		for k := range cols[t] {
			c = append(c, k)
		}
		slices.Sort(c)
		out = append(out, TableUse{Table: t, Columns: c})
	}
	return out
}

// wsAlternatives: where a web service gives what a doubtful column gives.
var wsAlternatives = map[string]string{
	"PARCOURS_TYPE": "le type de parcours est aussi donné par le web service OffreFormationMetier.recupererSE_v3 " +
		"(OffreFormationDTO3 : codParcoursType, libParcoursType, temEnSveParcoursType), que hypercerts appelle déjà pour les VET",
	"VERSION_DIPLOME.COD_PRT":     "le code du type de parcours d'une VDI est aussi dans recupererSE_v3 (OffreFormationDTO3.codParcoursType)",
	"VERSION_DIPLOME.LIB_WEB_VDI": "le libellé web de la VDI est aussi dans recupererSE_v3 (libWebVdi)",
	"VERSION_ETAPE.LIB_WEB_VET":   "le libellé web de la VET est aussi dans recupererSE_v3 (listVersionEtape/item/libWebVet)",
}

// ProbeSchema reads the data dictionary for every table the query files use.
func (d *DB) ProbeSchema(ctx context.Context) ([]FileReport, error) {
	dict := d.dictionary()
	names := make([]string, 0, len(d.queries))
	for name := range d.queries {
		names = append(names, name)
	}
	slices.Sort(names)
	cache := map[string]tableInfo{}
	var out []FileReport
	for _, name := range names {
		q := d.queries[name]
		fr := FileReport{Name: filepath.Base(strings.TrimSuffix(q.file, " (embarqué)")), File: q.file}
		for _, use := range TablesOf(q.text) {
			info, ok := cache[use.Table]
			if !ok {
				var err error
				if info, err = dict.table(ctx, use.Table); err != nil {
					return nil, d.wrap("sonde du schéma", q, err)
				}
				cache[use.Table] = info
			}
			tr := TableReport{Table: use.Table, Resolved: info.resolved, Exists: info.exists}
			for _, c := range use.Columns {
				if info.columns[c] {
					tr.Found = append(tr.Found, c)
				} else {
					tr.Missing = append(tr.Missing, c)
				}
			}
			if adv, ok := wsAlternatives[use.Table]; ok && (!tr.Exists || len(tr.Missing) > 0) {
				fr.Advice = append(fr.Advice, adv)
			}
			for _, c := range tr.Missing {
				if adv, ok := wsAlternatives[use.Table+"."+c]; ok {
					fr.Advice = append(fr.Advice, adv)
				}
			}
			fr.Tables = append(fr.Tables, tr)
		}
		out = append(out, fr)
	}
	return out, nil
}

type tableInfo struct {
	exists   bool
	resolved string
	columns  map[string]bool
}

type dictionary interface {
	table(ctx context.Context, name string) (tableInfo, error)
}

func (d *DB) dictionary() dictionary {
	if d.dialect == DialectOracle {
		return oracleDict{d.db}
	}
	return sqliteDict{d.db}
}

// oracleDict reads ALL_TAB_COLUMNS. An unqualified table name resolves as Oracle does:
// the current schema's table, else a private synonym, else a public synonym.
type oracleDict struct{ db *sql.DB }

const (
	oracleSchema   = `SELECT SYS_CONTEXT('USERENV', 'CURRENT_SCHEMA') FROM DUAL`
	oracleSynonym  = `SELECT table_owner, table_name FROM all_synonyms WHERE synonym_name = :t AND owner IN (:o, 'PUBLIC') ORDER BY CASE owner WHEN 'PUBLIC' THEN 1 ELSE 0 END`
	oracleColumns  = `SELECT column_name FROM all_tab_columns WHERE owner = :o AND table_name = :t`
	sqliteColumns  = `SELECT name FROM pragma_table_info(?)`
	sqliteExists   = `SELECT COUNT(*) FROM sqlite_master WHERE type IN ('table', 'view') AND UPPER(name) = ?`
	schemaNotFound = "table ou synonyme introuvable pour ce compte"
)

func (o oracleDict) table(ctx context.Context, name string) (tableInfo, error) {
	var schema string
	if err := o.db.QueryRowContext(ctx, oracleSchema).Scan(&schema); err != nil {
		return tableInfo{}, err
	}
	info, err := o.columns(ctx, schema, name)
	if err != nil || info.exists {
		return info, err
	}
	var owner, table string
	err = o.db.QueryRowContext(ctx, oracleSynonym, sql.Named("t", name), sql.Named("o", schema)).Scan(&owner, &table)
	if err == sql.ErrNoRows {
		return tableInfo{}, nil
	}
	if err != nil {
		return tableInfo{}, err
	}
	return o.columns(ctx, owner, table)
}

func (o oracleDict) columns(ctx context.Context, owner, table string) (tableInfo, error) {
	rows, err := o.db.QueryContext(ctx, oracleColumns, sql.Named("o", owner), sql.Named("t", table))
	if err != nil {
		return tableInfo{}, err
	}
	defer rows.Close()
	info := tableInfo{resolved: owner + "." + table, columns: map[string]bool{}}
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return tableInfo{}, err
		}
		info.columns[strings.ToUpper(c)] = true
	}
	info.exists = len(info.columns) > 0
	return info, rows.Err()
}

// sqliteDict reads pragma table_info (the embedded Apogée; names are case-insensitive).
type sqliteDict struct{ db *sql.DB }

func (s sqliteDict) table(ctx context.Context, name string) (tableInfo, error) {
	var n int
	if err := s.db.QueryRowContext(ctx, sqliteExists, strings.ToUpper(name)).Scan(&n); err != nil {
		return tableInfo{}, err
	}
	if n == 0 {
		return tableInfo{}, nil
	}
	rows, err := s.db.QueryContext(ctx, sqliteColumns, name)
	if err != nil {
		return tableInfo{}, err
	}
	defer rows.Close()
	info := tableInfo{exists: true, resolved: name, columns: map[string]bool{}}
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return tableInfo{}, err
		}
		info.columns[strings.ToUpper(c)] = true
	}
	return info, rows.Err()
}

// WriteSchemaReport prints the probe's result, one block per query file, with the
// override to write where something is missing. queriesDir is apogee.db.queries_dir.
// It returns the number of files with a missing table or column.
func WriteSchemaReport(w io.Writer, reports []FileReport, queriesDir string) int {
	bad := 0
	for _, f := range reports {
		mark := "✓"
		if !f.OK() {
			mark = "✗"
			bad++
		}
		fmt.Fprintf(w, "%s %s (%s)\n", mark, f.Name, f.File)
		for _, t := range f.Tables {
			switch {
			case !t.Exists:
				fmt.Fprintf(w, "    %s : %s ; colonnes utilisées : %s\n", t.Table, schemaNotFound, strings.Join(t.Missing, ", "))
			case len(t.Missing) > 0:
				fmt.Fprintf(w, "    %s : présentes %s ; MANQUANTES %s\n", t.Table, list(t.Found), strings.Join(t.Missing, ", "))
			default:
				fmt.Fprintf(w, "    %s : %s\n", t.Table, list(t.Found))
			}
		}
		if f.OK() {
			continue
		}
		dir := queriesDir
		if dir == "" {
			dir = "<apogee.db.queries_dir>"
		}
		var missing []string
		for _, t := range f.Tables {
			if !t.Exists {
				missing = append(missing, t.Table)
			}
			for _, c := range t.Missing {
				if t.Exists {
					missing = append(missing, t.Table+"."+c)
				}
			}
		}
		fmt.Fprintf(w, "    surcharge : copiez la requête fournie (connectors/apogee/sql/%s) dans %s et remplacez %s "+
			"par ce qui en tient lieu dans votre schéma, en gardant les colonnes rendues (docs/apogee-sim.md) ; "+
			"hypercerts doctor la vérifie ensuite\n", f.Name, filepath.Join(dir, f.Name), strings.Join(missing, ", "))
		for _, a := range f.Advice {
			fmt.Fprintf(w, "    à savoir : %s\n", a)
		}
	}
	return bad
}

func list(s []string) string {
	if len(s) == 0 {
		return "—"
	}
	return strings.Join(s, ", ")
}
