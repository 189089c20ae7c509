// Package sim is the embedded Apogée: an SQLite database (modernc.org/sqlite, pure Go)
// with Apogée's tables, filled by a deterministic generator, and a SOAP 1.1 server
// that answers the web services hypercerts uses from those tables, following the
// Apogée 6.40.30 WSDL contract.
package sim

import (
	"context"
	"database/sql"
	_ "embed"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"hypercerts/domain"
)

//go:embed schema.sql
var schemaSQL string

// Demo identities and settings.
const (
	// DemoUser holds TRAREF10 (domain RE) on SCI, LLS and DEG.
	DemoUser = "gestionnaire"
	// IUTUser holds TRAREF10 on IUT only.
	IUTUser = "gestionnaire.iut"
	// NoRightsUser is a known Apogée user without TRAREF10 in domain RE.
	NoRightsUser = "consultant"
	// SignerCode is the president, with an encrypted signature image.
	SignerCode = "PRES"
	// SignerWithoutImage is a signer with no SIGN_TAMP_DIGITALISE row.
	SignerWithoutImage = "VPCFVU"
	// SignerWithoutStamp is a (former) signer with a signature image and no official
	// stamp (IMG_TAM_STD NULL).
	SignerWithoutStamp = "ANCPRE"
	// SignatureKey decrypts the demo signature (the site key of PKB_CRY1.decryptLob).
	SignatureKey = "cle-demo-apogee"
	// CaseYear is the year of the rule cases (results deliberated).
	CaseYear = "2024"
)

// Fault makes an operation fail.
type Fault struct {
	// Times is how many calls fail before the operation works again; 0 means always.
	Times int
	// HTTPStatus, when set, answers with that status and a plain-text body (e.g. 503).
	HTTPStatus int
	// SOAPFault, when set, answers a SOAP fault whose faultstring (and lastErrorMsg)
	// is this text, e.g. "technical.data.transaction.connexion".
	SOAPFault string
	// Delay is added before answering (on top of Options.Latency).
	Delay time.Duration
}

// Options configure the embedded Apogée.
type Options struct {
	Seed     int64 // default 1
	Students int   // default 1500
	// Latency is added to every SOAP call.
	Latency time.Duration
	// Faults per operation name (e.g. "recupererIdentifiantsEtudiant").
	Faults map[string]Fault
	// SignatureKey encrypts the signature image; default SignatureKey.
	SignatureKey string
	// CacheDir, when set, keeps the generated database there and reuses it while the
	// generator, the seed, the size and the signature key are unchanged (cache.go).
	CacheDir string
}

// Campaign is what to choose in the wizard to meet a rule case.
type Campaign struct {
	Year      string
	Component string
	VDI       domain.VDI
	VETs      []domain.VET
}

// Apogee is a running embedded Apogée.
type Apogee struct {
	db    *stmtDB
	dir   string
	opts  Options
	cases map[string]string

	mu     sync.Mutex
	faults map[string]Fault
	calls  map[string]int

	srv *http.Server
	ln  net.Listener
}

// Open builds the database and fills it.
func Open(opts Options) (*Apogee, error) {
	if opts.Seed == 0 {
		opts.Seed = 1
	}
	if opts.Students <= 0 {
		opts.Students = 1500
	}
	if opts.Students < len(caseSpecs) {
		opts.Students = len(caseSpecs)
	}
	if opts.SignatureKey == "" {
		opts.SignatureKey = SignatureKey
	}
	dir, err := os.MkdirTemp("", "apogee-sim-")
	if err != nil {
		//lint:ignore ST1005 Apogée is a proper noun
		return nil, fmt.Errorf("Apogée simulée : dossier temporaire : %w", err)
	}
	a := &Apogee{dir: dir, opts: opts, faults: map[string]Fault{}, calls: map[string]int{}}
	for k, v := range opts.Faults {
		a.faults[k] = v
	}
	path := filepath.Join(dir, "apogee.db")
	cached := false
	if opts.CacheDir != "" {
		a.cases, cached = a.loadCache(path)
	}
	// cache_size: 1 MB of page cache per connection instead of SQLite's 2 MB (eight
	// connections while a launch reads; the file is in the OS's cache anyway):
	// BenchmarkPreviewReads showed no CPU difference; ≈ 15 MB less memory while reading.
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_pragma=synchronous(OFF)&_pragma=cache_size(-1024)")
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	a.db = newStmtDB(db)
	if cached {
		return a, nil
	}
	if err := a.fill(); err != nil {
		a.Close()
		//lint:ignore ST1005 Apogée is a proper noun
		return nil, fmt.Errorf("Apogée simulée : génération des données : %w", err)
	}
	if opts.CacheDir != "" {
		_ = a.saveCache() // a cache: the next start generates again if it failed
	}
	return a, nil
}

func (a *Apogee) fill() error {
	ctx := context.Background()
	if _, err := a.db.ExecContext(ctx, schemaSQL); err != nil {
		return err
	}
	tx, err := a.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	g := &gen{
		r:  rand.New(rand.NewPCG(uint64(a.opts.Seed), 0x41706f676565)),
		tx: tx, ctx: ctx, stmts: map[string]*sql.Stmt{},
		emails: map[string]int{}, cases: map[string]string{},
	}
	g.run(a.opts.Students, a.opts.SignatureKey)
	for _, st := range g.stmts {
		st.Close()
	}
	if g.err != nil {
		return g.err
	}
	a.cases = g.cases
	if err := tx.Commit(); err != nil {
		return err
	}
	// sqlite_stat1 guides the planner; sqlite_stat4 (this SQLite is built with
	// SQLITE_ENABLE_STAT4) would make the planner look at bound values, and SQLite then
	// re-prepares a statement each time a different value is bound: the prepared
	// statements (stmt.go) were parsed again at every call. Keep stat1 only.
	_, err = a.db.ExecContext(ctx, "ANALYZE; DELETE FROM sqlite_stat4; ANALYZE sqlite_schema")
	return err
}

// DB is the Apogée database (SQLite dialect of the connector's queries).
func (a *Apogee) DB() *sql.DB { return a.db.DB }

// Cases maps each rule case to a student code (cod_etu); see CaseCampaign.
func (a *Apogee) Cases() map[string]string {
	out := make(map[string]string, len(a.cases))
	for k, v := range a.cases {
		out[k] = v
	}
	return out
}

// CaseCampaign tells the year, component, VDI and graduating VETs to choose to meet
// the student of a case.
func (a *Apogee) CaseCampaign(name string) (Campaign, error) {
	for _, c := range caseSpecs {
		if c.name != name {
			continue
		}
		d := findVDI(c.dip)
		cp := Campaign{Year: CaseYear, Component: d.cmp, VDI: domain.VDI{Dip: d.dip, Version: fmt.Sprint(d.vrs), Label: d.web}}
		for _, etp := range c.vets {
			v := d.vet(etp)
			cp.VETs = append(cp.VETs, domain.VET{Etape: v.etp, Version: fmt.Sprint(v.vrs), Label: v.lib, Graduating: v.grad})
		}
		return cp, nil
	}
	//lint:ignore ST1005 Apogée is a proper noun
	return Campaign{}, fmt.Errorf("Apogée simulée : cas %q inconnu", name)
}

// SetFault changes (or, with the zero Fault, removes) the fault of an operation.
func (a *Apogee) SetFault(op string, f Fault) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if f == (Fault{}) {
		delete(a.faults, op)
		return
	}
	a.faults[op] = f
}

// Calls counts the SOAP calls received for an operation.
func (a *Apogee) Calls(op string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.calls[op]
}

// Start serves Handler on 127.0.0.1 (a free port) and returns the base URL to
// configure: services are at baseURL + "/services/<Service>".
func (a *Apogee) Start() (string, error) {
	if a.srv != nil {
		//lint:ignore ST1005 Apogée is a proper noun
		return "", errors.New("Apogée simulée : déjà démarrée")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	a.ln = ln
	a.srv = &http.Server{Handler: a.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go a.srv.Serve(ln)
	return "http://" + ln.Addr().String(), nil
}

// Close stops the server and removes the database.
func (a *Apogee) Close() error {
	var errs []error
	if a.srv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		errs = append(errs, a.srv.Shutdown(ctx))
		cancel()
		a.srv = nil
	}
	if a.db != nil {
		errs = append(errs, a.db.Close())
	}
	errs = append(errs, os.RemoveAll(a.dir))
	return errors.Join(errs...)
}
