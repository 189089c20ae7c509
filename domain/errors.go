package domain

import (
	"errors"
	"fmt"
)

// Sentinel errors the connectors wrap so the engine can decide what to do.
var (
	// ErrNotFound: the thing asked for does not exist (unknown student, year, VDI…).
	ErrNotFound = errors.New("introuvable")
	// ErrTransient: worth retrying (timeout, connection refused, HTTP 5xx, SMTP 4xx).
	ErrTransient = errors.New("erreur temporaire")
	// ErrPermanent: retrying will not help (SOAP business fault, SMTP 5xx, bad data).
	ErrPermanent = errors.New("erreur définitive")
	// ErrForbidden: the user has no right on what they asked for (R02).
	ErrForbidden = errors.New("droits insuffisants")
	// ErrInvalid: the request itself is wrong (unknown year, VDI not offered…).
	ErrInvalid = errors.New("demande invalide")
)

// ExternalError is an error from an outside system, classified by Kind (one of the
// sentinels above) and carrying the system's own message.
type ExternalError struct {
	System string // "Apogée", "SMTP", "SFTP", "HubEE"
	Op     string // operation, e.g. "recupererIdentifiantsEtudiant"
	Kind   error  // ErrNotFound, ErrTransient or ErrPermanent
	Msg    string // the outside system's reason, as it gave it
	Err    error  // underlying cause, may be nil
}

func (e *ExternalError) Error() string {
	s := fmt.Sprintf("%s %s : %s", e.System, e.Op, e.Kind)
	if e.Msg != "" {
		s += " : " + e.Msg
	}
	if e.Err != nil && e.Msg == "" {
		s += " : " + e.Err.Error()
	}
	return s
}

func (e *ExternalError) Unwrap() []error {
	if e.Err != nil {
		return []error{e.Kind, e.Err}
	}
	return []error{e.Kind}
}

// IsTransient reports whether err is worth retrying.
func IsTransient(err error) bool { return errors.Is(err, ErrTransient) }

// Forbidden builds a rights error naming what was refused.
func Forbidden(user User, what string) error {
	return fmt.Errorf("%w : l'utilisateur %s n'a pas le droit TRAREF10 sur %s", ErrForbidden, user.Code, what)
}

// Invalid builds a request error.
func Invalid(format string, args ...any) error {
	return fmt.Errorf("%w : %s", ErrInvalid, fmt.Sprintf(format, args...))
}
