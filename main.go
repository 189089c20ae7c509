// Command hypercerts produces attestations de réussite from Apogée and delivers them.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "hypercerts: en construction")
	os.Exit(2)
}
