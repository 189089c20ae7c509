package sim

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
)

// setFirstLastName changes the first student's last name in a database file.
func setFirstLastName(t *testing.T, path, name string) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("UPDATE INDIVIDU SET LIB_NOM_PAT_IND = ? WHERE COD_IND = (SELECT MIN(COD_IND) FROM INDIVIDU)", name); err != nil {
		t.Fatal(err)
	}
}

func firstLastName(t *testing.T, db *sql.DB) string {
	t.Helper()
	var name string
	if err := db.QueryRow("SELECT LIB_NOM_PAT_IND FROM INDIVIDU ORDER BY COD_IND LIMIT 1").Scan(&name); err != nil {
		t.Fatal(err)
	}
	return name
}

// resign makes the sidecar match the (edited) cached file, as a valid cache would.
func resign(t *testing.T, a *Apogee) {
	t.Helper()
	dbPath, metaPath := a.cachePaths()
	raw, err := os.ReadFile(metaPath)
	if err != nil {
		t.Fatal(err)
	}
	var m cacheMeta
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	if m.SHA256, err = hashFile(dbPath); err != nil {
		t.Fatal(err)
	}
	raw, _ = json.Marshal(m)
	if err := os.WriteFile(metaPath, raw, 0o600); err != nil {
		t.Fatal(err)
	}
}

// The cached database is what the generator produces, and it is reused (not
// regenerated) while seed, size, key and generator are unchanged.
func TestCacheReusedWhileSeedAndSizeUnchanged(t *testing.T) {
	dir := t.TempDir()
	fresh := openSim(t, Options{Seed: 3, Students: 60})
	first := openSim(t, Options{Seed: 3, Students: 60, CacheDir: dir})
	if digest(t, first.DB()) != digest(t, fresh.DB()) || fmt.Sprint(first.Cases()) != fmt.Sprint(fresh.Cases()) {
		t.Fatal("the first cached open differs from a plain generation")
	}
	dbPath, _ := first.cachePaths()
	if _, err := os.Stat(dbPath); err != nil {
		t.Fatalf("no cache file: %v", err)
	}

	// Mark the cached file: a reuse shows the mark, a generation does not.
	setFirstLastName(t, dbPath, "MARQUE-CACHE")
	resign(t, first)
	again := openSim(t, Options{Seed: 3, Students: 60, CacheDir: dir})
	if got := firstLastName(t, again.DB()); got != "MARQUE-CACHE" {
		t.Fatalf("second open regenerated (first student %q): the cache was not reused", got)
	}
	if fmt.Sprint(again.Cases()) != fmt.Sprint(fresh.Cases()) {
		t.Error("cases from the cache differ")
	}
	// Writes to one opened copy never reach the cache or another copy.
	if _, err := again.DB().Exec("UPDATE INDIVIDU SET LIB_NOM_PAT_IND = 'ÉCRIT'"); err != nil {
		t.Fatal(err)
	}
	third := openSim(t, Options{Seed: 3, Students: 60, CacheDir: dir})
	if got := firstLastName(t, third.DB()); got != "MARQUE-CACHE" {
		t.Errorf("a write to an opened copy reached the cache: %q", got)
	}
}

// Another seed, size or key is another dataset: never served from the cache.
func TestCacheNotReusedForAnotherSeedSizeOrKey(t *testing.T) {
	dir := t.TempDir()
	a := openSim(t, Options{Seed: 3, Students: 60, CacheDir: dir})
	dbPath, _ := a.cachePaths()
	setFirstLastName(t, dbPath, "MARQUE-CACHE")
	resign(t, a)
	for _, o := range []Options{
		{Seed: 4, Students: 60},
		{Seed: 3, Students: 61},
		{Seed: 3, Students: 60, SignatureKey: "autre-cle"},
	} {
		o.CacheDir = dir
		b := openSim(t, o)
		if got := firstLastName(t, b.DB()); got == "MARQUE-CACHE" {
			t.Errorf("%+v served from the cache of seed 3, 60 students", o)
		}
	}
	// The key is never written in clear in the sidecar.
	_, metaPath := a.cachePaths()
	raw, _ := os.ReadFile(metaPath)
	if !json.Valid(raw) || strings.Contains(string(raw), SignatureKey) {
		t.Error("the signature key is in the cache sidecar")
	}
}

// A damaged cache (truncated, edited without its checksum, sidecar from another
// generator) is not used: Open generates and replaces it.
func TestCacheDamagedIsRegenerated(t *testing.T) {
	dir := t.TempDir()
	want := digest(t, openSim(t, Options{Seed: 3, Students: 60}).DB())
	a := openSim(t, Options{Seed: 3, Students: 60, CacheDir: dir})
	dbPath, metaPath := a.cachePaths()

	damage := map[string]func(){
		"truncated": func() {
			fi, _ := os.Stat(dbPath)
			if err := os.Truncate(dbPath, fi.Size()/2); err != nil {
				t.Fatal(err)
			}
		},
		"edited without checksum": func() { setFirstLastName(t, dbPath, "MARQUE-CACHE") },
		"other generator": func() {
			setFirstLastName(t, dbPath, "MARQUE-CACHE")
			resign(t, a)
			raw, _ := os.ReadFile(metaPath)
			var m cacheMeta
			_ = json.Unmarshal(raw, &m)
			m.Generator = "0000"
			raw, _ = json.Marshal(m)
			_ = os.WriteFile(metaPath, raw, 0o600)
		},
		"sidecar garbage": func() { _ = os.WriteFile(metaPath, []byte("{"), 0o600) },
	}
	for name, do := range damage {
		do()
		b := openSim(t, Options{Seed: 3, Students: 60, CacheDir: dir})
		if got := digest(t, b.DB()); got != want {
			t.Errorf("%s: the damaged cache was used", name)
		}
		// ...and replaced by a good one.
		c := openSim(t, Options{Seed: 3, Students: 60, CacheDir: dir})
		if got := digest(t, c.DB()); got != want {
			t.Errorf("%s: the cache was not repaired", name)
		}
	}
}

// Embedded Apogées opened together on an empty cache (a package's tests starting in
// parallel) generate the dataset once: the others wait and copy it.
func TestCacheGeneratedOnceByOpensTogether(t *testing.T) {
	dir := t.TempDir()
	before := generations.Load()
	var wg sync.WaitGroup
	opened := make([]*Apogee, 4)
	for i := range opened {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a, err := Open(Options{Seed: 5, Students: 60, CacheDir: dir})
			if err != nil {
				t.Error(err)
				return
			}
			opened[i] = a
		}()
	}
	wg.Wait()
	for _, a := range opened {
		if a != nil {
			t.Cleanup(func() { a.Close() })
		}
	}
	if t.Failed() {
		return
	}
	if n := generations.Load() - before; n != 1 {
		t.Fatalf("%d generations for 4 opens together, want 1", n)
	}
	want := digest(t, opened[0].DB())
	for i, a := range opened[1:] {
		if digest(t, a.DB()) != want || fmt.Sprint(a.Cases()) != fmt.Sprint(opened[0].Cases()) {
			t.Errorf("open %d differs from the first", i+2)
		}
	}
}

// The cache key has no schema version to bump by hand: the generator's hash covers
// schema.sql (and gen.go), so a cache made before a schema change (GRP_RESULTAT_VDI
// taking ETA_AVC_VDI from RESULTAT_VDI) is regenerated, never reused.
func TestCacheKeyCoversTheSchema(t *testing.T) {
	for _, f := range []string{"schema.sql", "gen.go"} {
		if _, err := sources.ReadFile(f); err != nil {
			t.Errorf("%s is not part of the generator's hash: %v", f, err)
		}
	}
	if got, _ := sources.ReadFile("schema.sql"); string(got) != schemaSQL {
		t.Error("the hashed schema.sql is not the schema the database is created with")
	}
}
