// Command hypercerts produces attestations de réussite from Apogée and delivers them by
// mail or into Digiposte vaults. Flags and wiring live in cli and app.
package main

import (
	"os"

	"hypercerts/cli"
	"hypercerts/internal/memlimit"
)

func main() {
	memlimit.Start() // a soft memory limit following the live heap (issue 18)
	os.Exit(cli.Main(os.Args[1:], cli.Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr}))
}
