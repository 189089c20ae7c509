// Command hypercerts produces attestations de réussite from Apogée and delivers them by
// mail or into Digiposte vaults. Flags and wiring live in cli and app.
package main

import (
	"os"

	"hypercerts/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], cli.Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr}))
}
