package cli

import (
	"context"
	"fmt"

	"hypercerts/version"
)

func runVersion(ctx context.Context, env Env, args []string) error {
	fs := newFlags(env, "version", `hypercerts version

Affiche la version, le commit et la date de construction (fixés par "make build").

Exemple :
  $ hypercerts version
  hypercerts v1.2.0 (commit 6a310eb1c2d3, construit le 2026-03-01T10:00:00Z, go1.26.0 linux/amd64)`)
	if err := parse(fs, args); err != nil {
		return err
	}
	fmt.Fprintln(env.Stdout, version.Get())
	return nil
}
