package cas

import (
	"errors"
	"fmt"
	"strings"
)

// The failures of a sign-in, told apart with errors.Is (R01: a wrong password, a CAS
// that cannot be reached and a refused validation are different messages).
var (
	// ErrBadCredentials: the CAS refused the user name or the password (401 on /v1/tickets).
	ErrBadCredentials = errors.New("identifiant ou mot de passe incorrect")
	// ErrLocked: the credentials may be right but the account is locked or disabled
	// (423, or 401 naming AccountLockedException / AccountDisabledException).
	ErrLocked = errors.New("compte verrouillé ou désactivé")
	// ErrUnreachable: no answer, a TLS failure, an HTTP 5xx, or an answer that is not
	// the CAS REST protocol (wrong cas.url).
	ErrUnreachable = errors.New("serveur CAS injoignable")
	// ErrValidation: the CAS refused to issue or to validate the service ticket
	// (service not authorised, ticket invalid or expired).
	ErrValidation = errors.New("validation du ticket refusée")
)

// Error is a sign-in failure. Kind is one of the sentinels above; the French text of
// Error() is meant for the user, Hint() says what to do.
type Error struct {
	Kind   error  // ErrBadCredentials, ErrLocked, ErrUnreachable or ErrValidation
	Op     string // "tickets", "service ticket", "serviceValidate"
	Status int    // HTTP status, 0 when there was no answer
	Code   string // CAS failure code (INVALID_TICKET…) or exception name, if any
	Detail string // the CAS's own words, or ours
	Err    error  // underlying cause, may be nil
}

func (e *Error) Error() string {
	s := e.Kind.Error()
	if !strings.Contains(s, "CAS") {
		s = "CAS : " + s
	}
	switch {
	case e.Code != "" && e.Detail != "":
		s += fmt.Sprintf(" (%s : %s)", e.Code, e.Detail)
	case e.Code != "":
		s += " (" + e.Code + ")"
	case e.Detail != "":
		s += " (" + e.Detail + ")"
	case e.Err != nil:
		s += " (" + e.Err.Error() + ")"
	}
	return s
}

// Unwrap lets errors.Is find the Kind and the cause.
func (e *Error) Unwrap() []error {
	if e.Err != nil {
		return []error{e.Kind, e.Err}
	}
	return []error{e.Kind}
}

// Hint says, in French, what the user can do about the failure.
func (e *Error) Hint() string { return Hint(e.Kind) }

// Hint says what to do about an error of one of the kinds above; "" for other errors.
func Hint(err error) string {
	switch {
	case errors.Is(err, ErrBadCredentials):
		return "vérifiez votre identifiant et votre mot de passe (ceux de l'ENT de l'université), puis réessayez."
	case errors.Is(err, ErrLocked):
		return "votre compte est verrouillé : attendez la fin du verrouillage ou contactez le support informatique de l'université."
	case errors.Is(err, ErrUnreachable):
		return "réessayez dans quelques minutes ; si le problème persiste, prévenez l'administrateur d'hypercerts (paramètres cas.url et cas.ca_file)."
	case errors.Is(err, ErrValidation):
		return "l'administrateur d'hypercerts doit vérifier que le service (cas.service) est autorisé dans le CAS de l'université."
	}
	return ""
}
