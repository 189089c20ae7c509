package digiposte

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"hypercerts/domain"
)

// LocalDir is domain.Vault on a local folder, with exactly the layout of the SFTP
// exchange: the demo runs the whole Digiposte cycle against it and a Simulator.
type LocalDir struct {
	exchange
	Dir string
}

var _ domain.Vault = (*LocalDir)(nil)

// NewLocalDir creates the Format's folders under dir.
func NewLocalDir(dir string, f Format, log *slog.Logger) (*LocalDir, error) {
	f = f.WithDefaults()
	if err := f.Validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	rfs := localFS{base: dir}
	for _, d := range []string{f.AdhesionDir, f.DepositDir, f.ReturnDir, f.ArchiveDir} {
		if err := rfs.MkdirAll(d); err != nil {
			return nil, fmt.Errorf("digiposte : impossible de créer le dossier local %s : %v", rfs.p(d), err)
		}
	}
	l := &LocalDir{Dir: dir}
	l.exchange = exchange{f: f, system: "Digiposte (dossier local)", now: time.Now, log: log, bufSize: 256 << 10,
		open: func(context.Context) (remoteFS, func(), error) { return rfs, func() {}, nil }}
	return l, nil
}
