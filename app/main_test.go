package app

import (
	"os"
	"testing"

	"hypercerts/internal/testenv"
)

// TestMain gives the package's tests one temporary cache for the embedded Apogée's
// generated data (shared by the tests, removed at the end: nothing left in ~/.cache).
func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }

// The tests' cache folder is the one the embedded Apogée uses.
func TestSimCacheDirFollowsTheEnvironment(t *testing.T) {
	if CacheDirEnv != testenv.CacheEnv {
		t.Fatalf("app.CacheDirEnv %q, testenv.CacheEnv %q", CacheDirEnv, testenv.CacheEnv)
	}
	dir := t.TempDir()
	t.Setenv(CacheDirEnv, dir)
	if got := simCacheDir(); got != dir {
		t.Fatalf("simCacheDir() = %q, want %q", got, dir)
	}
}
