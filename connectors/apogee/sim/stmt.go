package sim

import (
	"context"
	"database/sql"
	"sync"
	"time"
)

// stmtDB is the embedded Apogée's database with its queries prepared once.
//
// Profiled on a 10,000-student campaign, the embedded Apogée spent most of its CPU
// parsing the same dozen SQL texts again for every SOAP call, and opening SQLite
// connections again and again (database/sql keeps two idle ones by default while
// eight calls run at once). Prepared statements (a *sql.Stmt prepares itself on each
// pooled connection) and a pool that keeps its connections remove both.
type stmtDB struct {
	*sql.DB

	mu    sync.Mutex
	stmts map[string]*sql.Stmt
}

// maxConns is how many idle SQLite connections the pool keeps: the client's calls in
// flight (apogee.concurrency, 8 by default). Each holds its own page cache.
const maxConns = 8

// maxIdle closes a connection left idle that long. A campaign reads Apogée at its
// launch only; then, for the whole sending, eight idle connections kept their page
// caches and prepared statements (SQLite's memory, outside Go's heap: ≈ 25 MB of the
// process's resident memory in the 10,000-student benchmark, issue 18). While a
// launch reads, the eight are never idle that long. database/sql checks every second
// at most, so they go 1–2 s after the reads.
const maxIdle = time.Second

func newStmtDB(db *sql.DB) *stmtDB {
	db.SetMaxIdleConns(maxConns)
	db.SetConnMaxIdleTime(maxIdle)
	return &stmtDB{DB: db, stmts: map[string]*sql.Stmt{}}
}

func (d *stmtDB) prepared(ctx context.Context, query string) (*sql.Stmt, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if st, ok := d.stmts[query]; ok {
		return st, nil
	}
	st, err := d.DB.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	d.stmts[query] = st
	return st, nil
}

// QueryContext runs query from its prepared statement.
func (d *stmtDB) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := d.prepared(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

// QueryRowContext runs query from its prepared statement; a query that does not
// prepare goes the plain way, which reports the error through Row.Scan.
func (d *stmtDB) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	st, err := d.prepared(ctx, query)
	if err != nil {
		return d.DB.QueryRowContext(ctx, query, args...)
	}
	return st.QueryRowContext(ctx, args...)
}

// Close closes the statements, then the database.
func (d *stmtDB) Close() error {
	d.mu.Lock()
	for q, st := range d.stmts {
		st.Close()
		delete(d.stmts, q)
	}
	d.mu.Unlock()
	return d.DB.Close()
}
