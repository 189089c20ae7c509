package apogee

import (
	"bytes"
	"context"
	"database/sql"
	"database/sql/driver"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"

	"hypercerts/domain"
)

// The SQL half of the Apogée connector: the queries hypercerts runs on Apogée's
// Oracle database (go-ora) or on the embedded Apogée's SQLite (connectors/apogee/sim).
// Each concern is one file in sql/, with named binds (:year, :cmp…); the same text
// serves both dialects except signature.<dialect>.sql (PKB_CRY1.decryptLob is Oracle
// PL/SQL). A site overrides any file by putting one with the same name in queriesDir.

//go:embed sql/*.sql
var embeddedQueries embed.FS

// Dialects.
const (
	DialectOracle = "oracle"
	DialectSQLite = "sqlite"
)

// DefaultAbsentNature is the diploma nature "absence de diplôme" (R04).
const DefaultAbsentNature = "9"

const system = "Apogée"

type querySpec struct {
	name string
	cols []string // expected columns, in order
}

var querySpecs = []querySpec{
	{"years", []string{"COD_ANU", "TEM_RES_DLB"}},
	{"user", []string{"COD_UTI", "LIB_CMT_UTI", "ADR_MAIL_UTI"}},
	{"student_by_ine", []string{"COD_ETU"}},
	{"components", []string{"COD_CMP", "LIB_CMP"}},
	{"vdis", []string{"COD_DIP", "COD_VRS_VDI", "LIB_WEB_VDI"}},
	{"vets", []string{"TEM_DIP_VET", "LIB_WEB_VET"}},
	{"delivery", []string{"NB"}},
	{"label", []string{"LIB1", "LIB2", "LIB3", "LIB4", "LIB5", "LIB_PRT"}},
	{"signature", []string{"COD_SIG", "NOM_SIG", "QUA_SIG", "IMG", "STAMP"}},
}

type query struct {
	file  string // where it came from: "sql/vdis.sql (embarqué)" or the override path
	text  string // comments stripped
	binds []string
	cols  []string
}

// DB runs hypercerts' queries on Apogée's database.
type DB struct {
	db      *sql.DB
	dialect string
	queries map[string]*query

	// checkMu serialises the lazy Check: a start-up with Apogée unreachable does not
	// fail (store-only work goes on); the queries are checked at their first use.
	checkMu sync.Mutex
	checked bool

	stmtMu sync.Mutex
	stmts  map[*query]*sql.Stmt // prepared on first use (prepared)
}

var bindRE = regexp.MustCompile(`:([A-Za-z_][A-Za-z0-9_]*)`)

// OpenDB loads the queries for dialect ("oracle" or "sqlite"), the files of
// queriesDir (may be "") taking precedence over the embedded ones. It does not touch
// the database: call Check at start-up.
func OpenDB(db *sql.DB, dialect string, queriesDir string) (*DB, error) {
	if dialect != DialectOracle && dialect != DialectSQLite {
		//lint:ignore ST1005 Apogée is a proper noun
		return nil, fmt.Errorf("Apogée : dialecte SQL %q inconnu (attendu %q ou %q)", dialect, DialectOracle, DialectSQLite)
	}
	d := &DB{db: db, dialect: dialect, queries: map[string]*query{}}
	for _, spec := range querySpecs {
		q, err := loadQuery(spec, dialect, queriesDir)
		if err != nil {
			return nil, err
		}
		d.queries[spec.name] = q
	}
	return d, nil
}

func loadQuery(spec querySpec, dialect, dir string) (*query, error) {
	names := []string{spec.name + "." + dialect + ".sql", spec.name + ".sql"}
	var raw []byte
	var file string
	if dir != "" {
		for _, n := range names {
			p := filepath.Join(dir, n)
			b, err := os.ReadFile(p)
			if err == nil {
				raw, file = b, p
				break
			}
			if !errors.Is(err, fs.ErrNotExist) {
				//lint:ignore ST1005 Apogée is a proper noun
				return nil, fmt.Errorf("Apogée : requête %s illisible : %w", p, err)
			}
		}
	}
	if raw == nil {
		for _, n := range names {
			b, err := embeddedQueries.ReadFile("sql/" + n)
			if err == nil {
				raw, file = b, "sql/"+n+" (embarqué)"
				break
			}
		}
	}
	if raw == nil {
		//lint:ignore ST1005 Apogée is a proper noun
		return nil, fmt.Errorf("Apogée : aucune requête %s pour le dialecte %s", spec.name, dialect)
	}
	text := stripSQL(raw)
	if text == "" {
		//lint:ignore ST1005 Apogée is a proper noun
		return nil, fmt.Errorf("Apogée : requête %s vide", file)
	}
	q := &query{file: file, text: text, cols: spec.cols}
	seen := map[string]bool{}
	for _, m := range bindRE.FindAllStringSubmatch(stripLiterals(text), -1) {
		if !seen[m[1]] {
			seen[m[1]] = true
			q.binds = append(q.binds, m[1])
		}
	}
	return q, nil
}

// stripSQL drops comment lines and a trailing semicolon (go-ora refuses it).
func stripSQL(raw []byte) string {
	var out []string
	for _, line := range strings.Split(string(bytes.ReplaceAll(raw, []byte("\r\n"), []byte("\n"))), "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "--") {
			continue
		}
		out = append(out, line)
	}
	s := strings.TrimSpace(strings.Join(out, "\n"))
	return strings.TrimSpace(strings.TrimSuffix(s, ";"))
}

var literalRE = regexp.MustCompile(`'(?:[^']|'')*'`)

func stripLiterals(s string) string { return literalRE.ReplaceAllString(s, "''") }

// args binds the query's named parameters from vals; a bind the query uses but vals
// lacks is an error naming the file.
func (q *query) args(vals map[string]any) ([]any, error) {
	out := make([]any, 0, len(q.binds))
	for _, b := range q.binds {
		v, ok := vals[strings.ToLower(b)]
		if !ok {
			return nil, fmt.Errorf("%s : paramètre :%s inconnu", q.file, b)
		}
		out = append(out, sql.Named(b, v))
	}
	return out, nil
}

// Check runs every query once with binds that match nothing and verifies the columns
// each returns. It reports every faulty file at once, by name.
func (d *DB) Check(ctx context.Context) error {
	d.checkMu.Lock()
	defer d.checkMu.Unlock()
	return d.check(ctx)
}

// ensureChecked runs Check once before the first query, if start-up could not.
func (d *DB) ensureChecked(ctx context.Context) error {
	d.checkMu.Lock()
	defer d.checkMu.Unlock()
	if d.checked {
		return nil
	}
	return d.check(ctx)
}

func (d *DB) check(ctx context.Context) (err error) {
	defer func() {
		if err == nil {
			d.checked = true
		}
	}()
	var problems []error
	for _, spec := range querySpecs {
		q := d.queries[spec.name]
		dummy := map[string]any{}
		for _, b := range q.binds {
			dummy[strings.ToLower(b)] = "0"
		}
		args, _ := q.args(dummy)
		rows, err := d.db.QueryContext(ctx, q.text, args...)
		if err != nil {
			if isTransient(err) {
				return d.wrap("Check", q, err)
			}
			problems = append(problems, fmt.Errorf("%s : %w", q.file, err))
			continue
		}
		cols, err := rows.Columns()
		for err == nil && rows.Next() {
		}
		if err == nil {
			err = rows.Err()
		}
		rows.Close()
		if err != nil {
			problems = append(problems, fmt.Errorf("%s : %w", q.file, err))
			continue
		}
		if !sameColumns(cols, q.cols) {
			problems = append(problems, fmt.Errorf("%s : colonnes %s, attendues %s", q.file,
				strings.Join(upper(cols), ", "), strings.Join(q.cols, ", ")))
		}
	}
	if len(problems) == 0 {
		return nil
	}
	joined := errors.Join(problems...)
	return &domain.ExternalError{System: system, Op: "vérification des requêtes SQL", Kind: domain.ErrPermanent,
		Msg: joined.Error() + " (corriger le fichier nommé, ou le retirer du dossier des requêtes pour revenir à la version fournie)", Err: joined}
}

func upper(cols []string) []string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = strings.ToUpper(c)
	}
	return out
}

func sameColumns(got, want []string) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if !strings.EqualFold(got[i], want[i]) {
			return false
		}
	}
	return true
}

// run executes a query; the caller closes the rows.
func (d *DB) run(ctx context.Context, op, name string, vals map[string]any) (*sql.Rows, *query, error) {
	q := d.queries[name]
	if err := d.ensureChecked(ctx); err != nil {
		return nil, q, err
	}
	args, err := q.args(vals)
	if err != nil {
		return nil, q, &domain.ExternalError{System: system, Op: op, Kind: domain.ErrPermanent, Msg: err.Error(), Err: err}
	}
	var rows *sql.Rows
	if st := d.prepared(ctx, q); st != nil {
		rows, err = st.QueryContext(ctx, args...)
	} else {
		rows, err = d.db.QueryContext(ctx, q.text, args...)
	}
	if err != nil {
		return nil, q, d.wrap(op, q, err)
	}
	return rows, q, nil
}

// prepared gives q's statement, prepared once (database/sql prepares it again on
// each pooled connection as needed): a campaign runs the R13 delivery query once per
// admitted student, and parsing it every time was half its cost on the embedded
// Apogée. nil when it cannot be prepared now (database unreachable): the plain query
// then reports the error, and the next call tries again.
func (d *DB) prepared(ctx context.Context, q *query) *sql.Stmt {
	d.stmtMu.Lock()
	defer d.stmtMu.Unlock()
	if st, ok := d.stmts[q]; ok {
		return st
	}
	st, err := d.db.PrepareContext(ctx, q.text)
	if err != nil {
		return nil
	}
	if d.stmts == nil {
		d.stmts = map[*query]*sql.Stmt{}
	}
	d.stmts[q] = st
	return st
}

func (d *DB) wrap(op string, q *query, err error) error {
	if err == nil {
		return nil
	}
	var ee *domain.ExternalError
	if errors.As(err, &ee) {
		return err
	}
	kind := domain.ErrPermanent
	if isTransient(err) {
		kind = domain.ErrTransient
	}
	msg := err.Error()
	if q != nil {
		msg = q.file + " : " + msg
	}
	return &domain.ExternalError{System: system, Op: op, Kind: kind, Msg: msg, Err: err}
}

// Oracle errors that mean "the database is unreachable or restarting": worth a retry.
var transientORA = []string{"ORA-00028", "ORA-01033", "ORA-01034", "ORA-01089", "ORA-03113", "ORA-03114",
	"ORA-03135", "ORA-12170", "ORA-12514", "ORA-12516", "ORA-12519", "ORA-12520", "ORA-12528", "ORA-12537",
	"ORA-12541", "ORA-12543", "ORA-12547", "ORA-12560", "ORA-25408"}

func isTransient(err error) bool {
	if errors.Is(err, driver.ErrBadConn) || errors.Is(err, sql.ErrConnDone) || errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return true
	}
	msg := err.Error()
	for _, code := range transientORA {
		if strings.Contains(msg, code) {
			return true
		}
	}
	return strings.Contains(msg, "database is locked") || strings.Contains(msg, "SQLITE_BUSY")
}

// OpenYears lists the years open in Apogée, newest first, each saying whether Apogée
// holds deliberated admission results for it (years.sql's TEM_RES_DLB).
func (d *DB) OpenYears(ctx context.Context) ([]domain.Year, error) {
	const op = "OpenYears"
	rows, q, err := d.run(ctx, op, "years", nil)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []domain.Year
	for rows.Next() {
		var code string
		var flag sql.NullString // NULL is refused below like any value but 'O' or 'N'
		if err := rows.Scan(&code, &flag); err != nil {
			return nil, d.wrap(op, q, err)
		}
		// An Apogée flag is 'O' or 'N': another value (a site override answering 'Y' or 1)
		// would quietly mean "never deliberated" and the wizard would preselect nothing.
		delib := flag.String
		if !flag.Valid || delib != "O" && delib != "N" {
			return nil, &domain.ExternalError{System: system, Op: op, Kind: domain.ErrPermanent,
				Msg: fmt.Sprintf("%s : TEM_RES_DLB %s pour l'année %s, attendu 'O' ou 'N'", q.file, flagText(flag), code)}
		}
		out = append(out, domain.Year{Code: code, Label: domain.AcademicYearLabel(code), Deliberated: delib == "O"})
	}
	return out, d.wrap(op, q, rows.Err())
}

func flagText(f sql.NullString) string {
	if !f.Valid {
		return "NULL"
	}
	return "'" + f.String + "'"
}

// User gives an Apogée user's name (LIB_CMT_UTI) and e-mail (ADR_MAIL_UTI).
func (d *DB) User(ctx context.Context, userCode string) (domain.User, error) {
	const op = "User"
	var code string
	var name, mail sql.NullString
	if err := d.scanOne(ctx, op, "user", map[string]any{"uti": userCode},
		fmt.Sprintf("utilisateur %s inconnu ou hors service dans UTILISATEUR", userCode), &code, &name, &mail); err != nil {
		return domain.User{}, err
	}
	return domain.User{Code: code, Name: name.String, Email: mail.String}, nil
}

// StudentByINE finds the student number of an INE (11 characters: 10 + key).
func (d *DB) StudentByINE(ctx context.Context, ine string) (string, error) {
	const op = "StudentByINE"
	ine = strings.ToUpper(strings.TrimSpace(ine))
	if len([]rune(ine)) != 11 {
		return "", &domain.ExternalError{System: system, Op: op, Kind: domain.ErrNotFound,
			Msg: fmt.Sprintf("INE %q : 11 caractères attendus (10 + la clé)", ine)}
	}
	var code sql.NullString
	if err := d.scanOne(ctx, op, "student_by_ine", map[string]any{"nne": ine[:10], "cle": ine[10:]},
		fmt.Sprintf("aucun étudiant d'INE %s dans INDIVIDU", ine), &code); err != nil {
		return "", err
	}
	return code.String, nil
}

// Components lists the components where the user holds TRAREF10 in domain RE (R02).
// No right at all gives an empty list, not an error.
func (d *DB) Components(ctx context.Context, userCode string) ([]domain.Component, error) {
	const op = "Components"
	rows, q, err := d.run(ctx, op, "components", map[string]any{"uti": userCode})
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []domain.Component
	for rows.Next() {
		var code string
		var label sql.NullString
		if err := rows.Scan(&code, &label); err != nil {
			return nil, d.wrap(op, q, err)
		}
		out = append(out, domain.Component{Code: code, Label: label.String})
	}
	return out, d.wrap(op, q, rows.Err())
}

// VDIs lists the diploma versions offered for a component and a year (R04).
// absentNature is the nature "absence de diplôme" ("" means DefaultAbsentNature).
func (d *DB) VDIs(ctx context.Context, year, component string, absentNature string) ([]domain.VDI, error) {
	const op = "VDIs"
	if absentNature == "" {
		absentNature = DefaultAbsentNature
	}
	rows, q, err := d.run(ctx, op, "vdis", map[string]any{"cmp": component, "nature": absentNature, "year": year})
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []domain.VDI
	for rows.Next() {
		var dip, vrs string
		var label sql.NullString
		if err := rows.Scan(&dip, &vrs, &label); err != nil {
			return nil, d.wrap(op, q, err)
		}
		out = append(out, domain.VDI{Dip: dip, Version: vrs, Label: label.String})
	}
	return out, d.wrap(op, q, rows.Err())
}

// FilterGraduating keeps the graduating stage versions (VERSION_ETAPE.TEM_DIP_VET = 'O',
// R05), marking them Graduating and labelling them with LIB_WEB_VET when Apogée has one.
func (d *DB) FilterGraduating(ctx context.Context, vets []domain.VET) ([]domain.VET, error) {
	const op = "FilterGraduating"
	var out []domain.VET
	for _, v := range vets {
		tem, label, found, err := d.vet(ctx, op, v)
		if err != nil {
			return nil, err
		}
		if !found || tem != "O" {
			continue
		}
		v.Graduating = true
		if label != "" {
			v.Label = label
		}
		out = append(out, v)
	}
	return out, nil
}

func (d *DB) vet(ctx context.Context, op string, v domain.VET) (tem, label string, found bool, err error) {
	rows, q, err := d.run(ctx, op, "vets", map[string]any{"etp": v.Etape, "vrs": v.Version})
	if err != nil {
		return "", "", false, err
	}
	defer rows.Close()
	if !rows.Next() {
		return "", "", false, d.wrap(op, q, rows.Err())
	}
	var t, l sql.NullString
	if err := rows.Scan(&t, &l); err != nil {
		return "", "", false, d.wrap(op, q, err)
	}
	return t.String, l.String, true, nil
}

// DeliveryAuthorised tells whether RESULTAT_VDI.TEM_DLV_AUT_VDI = 'O' for an admission
// session of that individual, diploma version and year (R13).
func (d *DB) DeliveryAuthorised(ctx context.Context, individualCode, year string, vdi domain.VDI) (bool, error) {
	const op = "DeliveryAuthorised"
	rows, q, err := d.run(ctx, op, "delivery", map[string]any{"ind": individualCode, "dip": vdi.Dip, "vrs": vdi.Version, "year": year})
	if err != nil {
		return false, err
	}
	defer rows.Close()
	var n int64
	if rows.Next() {
		if err := rows.Scan(&n); err != nil {
			return false, d.wrap(op, q, err)
		}
	}
	return n > 0, d.wrap(op, q, rows.Err())
}

// OfficialLabel gives the diploma's official label (R09).
func (d *DB) OfficialLabel(ctx context.Context, year string, vdi domain.VDI) (string, error) {
	const op = "OfficialLabel"
	var p [6]sql.NullString
	if err := d.scanOne(ctx, op, "label", map[string]any{"dip": vdi.Dip, "vrs": vdi.Version, "year": year},
		fmt.Sprintf("version de diplôme %s inconnue dans VERSION_DIPLOME", vdi.Key()), &p[0], &p[1], &p[2], &p[3], &p[4], &p[5]); err != nil {
		return "", err
	}
	parts := make([]string, 5)
	for i := range parts {
		parts[i] = p[i].String
	}
	label := domain.OfficialLabel(parts, p[5].String)
	if label == "" {
		return "", &domain.ExternalError{System: system, Op: op, Kind: domain.ErrNotFound,
			Msg: fmt.Sprintf("aucun libellé d'édition pour %s en %s (PERIODE_PARAM_EDITION)", vdi.Key(), year)}
	}
	return label, nil
}

// Signature gives the signer, their decrypted image and official stamp (R16). The
// stamp is optional: a signer without IMG_TAM_STD has none. An unknown signer or a
// signer without image is ErrNotFound; an image that does not decrypt to PNG/JPEG
// (wrong key) is ErrPermanent.
func (d *DB) Signature(ctx context.Context, signerCode, key string) (domain.Signature, error) {
	const op = "Signature"
	var code string
	var name, title sql.NullString
	var img, stamp []byte
	if err := d.scanOne(ctx, op, "signature", map[string]any{"sig": signerCode, "key": key},
		fmt.Sprintf("signataire %s inconnu dans SIGNATAIRE : vérifier le code du signataire dans la configuration", signerCode),
		&code, &name, &title, &img, &stamp); err != nil {
		return domain.Signature{}, err
	}
	sig := domain.Signature{Code: code, Name: name.String, Title: title.String}
	if len(img) == 0 {
		return sig, &domain.ExternalError{System: system, Op: op, Kind: domain.ErrNotFound,
			Msg: fmt.Sprintf("le signataire %s n'a pas d'image de signature (SIGN_TAMP_DIGITALISE)", signerCode)}
	}
	if !isImage(img) {
		return sig, &domain.ExternalError{System: system, Op: op, Kind: domain.ErrPermanent,
			Msg: fmt.Sprintf("l'image de signature de %s ne se déchiffre pas en PNG ni en JPEG : vérifier la clé de déchiffrement Apogée de la configuration", signerCode)}
	}
	if len(stamp) > 0 && !isImage(stamp) {
		return sig, &domain.ExternalError{System: system, Op: op, Kind: domain.ErrPermanent,
			Msg: fmt.Sprintf("le tampon officiel de %s (SIGN_TAMP_DIGITALISE.IMG_TAM_STD) ne se déchiffre pas en PNG ni en JPEG", signerCode)}
	}
	sig.Image = img
	sig.Stamp = stamp
	return sig, nil
}

// scanOne runs a query expected to give one row and scans it into dest; no row is
// ErrNotFound with notFound as its message.
func (d *DB) scanOne(ctx context.Context, op, query string, args map[string]any, notFound string, dest ...any) error {
	rows, q, err := d.run(ctx, op, query, args)
	if err != nil {
		return err
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return d.wrap(op, q, err)
		}
		return &domain.ExternalError{System: system, Op: op, Kind: domain.ErrNotFound, Msg: notFound}
	}
	if err := rows.Scan(dest...); err != nil {
		return d.wrap(op, q, err)
	}
	return nil
}

func isImage(b []byte) bool {
	return bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")) || bytes.HasPrefix(b, []byte{0xFF, 0xD8, 0xFF})
}
