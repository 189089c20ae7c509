package digiposte

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"strings"
	"syscall"

	"github.com/pkg/sftp"

	"hypercerts/domain"
)

// lowSpace is the free space under which a failed write is reported as "disk full".
const lowSpace = 1 << 20

// fail classifies err (from an operation on name, in dir) into a *domain.ExternalError
// whose message says what failed and what to do.
func (x *exchange) fail(ctx context.Context, rfs remoteFS, op, dir, name string, err error) error {
	if ctx.Err() != nil {
		return &domain.ExternalError{System: x.system, Op: op, Kind: domain.ErrTransient,
			Msg: "interrompu (" + ctx.Err().Error() + ") ; le lot sera repris au prochain cycle", Err: ctx.Err()}
	}
	e := &domain.ExternalError{System: x.system, Op: op, Err: err}
	var status *sftp.StatusError
	switch {
	case errors.Is(err, fs.ErrPermission):
		e.Kind = domain.ErrPermanent
		e.Msg = fmt.Sprintf("permission refusée sur %s : le compte n'a pas le droit d'écrire ou de lire dans ce dossier ; faites corriger ses droits (ou le dossier dans digiposte.format)", name)
	case errors.Is(err, fs.ErrNotExist):
		e.Kind = domain.ErrPermanent
		e.Msg = fmt.Sprintf("%s introuvable (dossier %q sous le dossier de base) : vérifiez le dossier de base et les dossiers de digiposte.remote / digiposte.format", name, dir)
	case errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT):
		e.Kind = domain.ErrTransient
		e.Msg = fmt.Sprintf("disque plein en écrivant %s : libérez de la place ; le lot sera repris au prochain cycle", name)
	case errors.As(err, &status) && status.FxCode() == sftp.ErrSSHFxFailure:
		// OpenSSH reports ENOSPC, EDQUOT and most other write failures as a bare
		// "Failure": ask the server how much room is left to say which.
		e.Kind = domain.ErrTransient
		if free, ok := rfs.Free(dir); ok && free < lowSpace {
			e.Msg = fmt.Sprintf("disque distant plein (%d octets libres) en écrivant %s : faites libérer de la place ; le lot sera repris au prochain cycle", free, name)
		} else {
			e.Msg = fmt.Sprintf("le serveur a refusé l'opération sur %s (%v) ; le lot sera repris au prochain cycle", name, err)
		}
	case isConnErr(err):
		e.Kind = domain.ErrTransient
		e.Msg = fmt.Sprintf("connexion perdue pendant l'opération sur %s (%v) ; rien n'est visible sous le nom définitif, le lot sera repris au prochain cycle", name, err)
	default:
		e.Kind = domain.ErrTransient
		e.Msg = fmt.Sprintf("%s : %v", name, err)
	}
	return e
}

func isConnErr(err error) bool {
	var ne net.Error
	var oe *net.OpError
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) ||
		errors.Is(err, sftp.ErrSSHFxConnectionLost) || errors.Is(err, sftp.ErrSSHFxNoConnection) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		errors.As(err, &ne) || errors.As(err, &oe) ||
		strings.Contains(err.Error(), "connection lost") || strings.Contains(err.Error(), "use of closed network connection")
}
