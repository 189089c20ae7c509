package apogee

import (
	"context"
	"testing"
	"time"

	"hypercerts/connectors/apogee/sim"
)

// TestAdapter_QueryTimeoutBoundsEachQuery: apogee.db.query_timeout applies to every SQL
// query of the adapter.
func TestAdapter_QueryTimeoutBoundsEachQuery(t *testing.T) {
	s, err := sim.Open(sim.Options{Students: 30})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	db, err := OpenDB(s.DB(), DialectSQLite, "")
	if err != nil {
		t.Fatal(err)
	}
	a := &Adapter{DB: db, QueryTimeout: time.Nanosecond}
	if _, err := a.OpenYears(context.Background()); err == nil {
		t.Fatal("a query outlived a 1 ns timeout")
	}
	a.QueryTimeout = 10 * time.Second
	if years, err := a.OpenYears(context.Background()); err != nil || len(years) == 0 {
		t.Fatalf("with a fair timeout: %v %v", years, err)
	}
}
