package control

import (
	"errors"
	"fmt"
	"os"

	"hypercerts/store"
)

// ErrNotAStore: the file is not a hypercerts base (not bbolt, or no hypercerts root).
var ErrNotAStore = errors.New("ce fichier n'est pas une base hypercerts")

// FileInfo describes a base file (a backup, or the store itself when nobody holds it).
type FileInfo = store.FileInfo

// Inspect checks that path is a hypercerts base this build opens: store.Inspect, that is
// exactly the checks of the store's own opening plus a walk of every page. It changes
// nothing in the file (but completes a journal a crash left beside it). A file held by a running daemon gives store.ErrInUse.
func Inspect(path string) (FileInfo, error) {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return FileInfo{}, fmt.Errorf("%w : %s est un dossier", ErrNotAStore, path)
	}
	info, err := store.Inspect(path)
	if errors.Is(err, store.ErrCorrupt) {
		err = fmt.Errorf("%w : %w", ErrNotAStore, err)
	}
	return info, err
}
