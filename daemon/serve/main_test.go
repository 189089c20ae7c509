package serve

import (
	"os"
	"testing"

	"hypercerts/internal/testenv"
)

// TestMain gives the package's tests one temporary cache for the embedded Apogée's
// generated data (shared by the tests, removed at the end: nothing left in ~/.cache).
func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }
