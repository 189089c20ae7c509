package mail

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/textproto"
	"strings"

	gomail "github.com/wneessen/go-mail"

	"hypercerts/domain"
)

// classify turns what the SMTP conversation returned into a *domain.ExternalError:
//   - a 4xx reply, a network error, a timeout, an unexpected close → ErrTransient;
//   - a 5xx reply → ErrPermanent, with the server's reply ("550 5.1.1 …") in Msg,
//     except 552 at RCPT TO: RFC 5321 §4.5.3.1.10 asks clients to treat it as the
//     temporary 452 (too many recipients, or a mailbox over quota for now);
//   - a refused server certificate, a server without STARTTLS or without the
//     configured AUTH mechanism → ErrPermanent: retrying will not help, the
//     configuration must change.
func classify(op string, err error) error {
	if err == nil {
		return nil
	}
	var ee *domain.ExternalError
	if errors.As(err, &ee) {
		return ee
	}
	e := &domain.ExternalError{System: "SMTP", Op: op, Kind: domain.ErrTransient, Err: err}
	var tp *textproto.Error
	if errors.As(err, &tp) {
		e.Msg = fmt.Sprintf("%03d %s", tp.Code, strings.ReplaceAll(tp.Msg, "\n", " "))
		if op == "BDAT" && bdatNotUnderstood(tp.Code) {
			// Not the message's fault but the relay's (or a middlebox's): transient, so
			// that the campaign suspends rather than failing every student for good.
			// deliver sends the message again by DATA instead: this is only returned
			// when the context ended meanwhile.
			e.Msg += " ; le relais annonce CHUNKING (RFC 3030) mais ne comprend pas BDAT : indiquez mail.smtp.chunking: false"
			return e
		}
		if tp.Code >= 500 && !(tp.Code == 552 && op == "RCPT TO") {
			e.Kind = domain.ErrPermanent
		}
		return e
	}
	var (
		certErr  *tls.CertificateVerificationError
		unknown  x509.UnknownAuthorityError
		hostErr  x509.HostnameError
		invalid  x509.CertificateInvalidError
		alertErr tls.AlertError
	)
	switch {
	case errors.As(err, &certErr), errors.As(err, &unknown), errors.As(err, &hostErr), errors.As(err, &invalid):
		e.Kind = domain.ErrPermanent
		e.Msg = "certificat TLS du serveur refusé (" + err.Error() + ") : vérifiez le nom du serveur et ses autorités de certification"
	case errors.As(err, &alertErr):
		e.Kind = domain.ErrPermanent
		e.Msg = "négociation TLS refusée par le serveur (" + err.Error() + ")"
	case strings.Contains(err.Error(), "does not support STARTTLS"):
		e.Kind = domain.ErrPermanent
		e.Msg = "le serveur ne propose pas STARTTLS : choisissez security: tls (port 465) ou none pour un relais local"
	case isAuthSupportError(err):
		e.Kind = domain.ErrPermanent
		e.Msg = "le serveur ne propose pas ce mécanisme d'authentification (" + err.Error() + ")"
	}
	return e
}

func isAuthSupportError(err error) bool {
	for _, target := range []error{gomail.ErrPlainAuthNotSupported, gomail.ErrLoginAuthNotSupported,
		gomail.ErrCramMD5AuthNotSupported} {
		if errors.Is(err, target) {
			return true
		}
	}
	return strings.Contains(err.Error(), "server does not support SMTP AUTH") ||
		strings.Contains(err.Error(), "unencrypted connection")
}

// bdatNotUnderstood: the reply says the BDAT command itself is unknown or not
// implemented (RFC 5321 §4.2.4: 500 unrecognized, 501 bad arguments, 502 not
// implemented, 504 parameter not implemented), as from a relay or middlebox that
// announces CHUNKING without handling it. Such a server may have read the chunk as
// commands: the session is not reused.
func bdatNotUnderstood(code int) bool {
	return code == 500 || code == 501 || code == 502 || code == 504
}

// replyCode is the SMTP reply code inside err, 0 when err is not a server reply.
func replyCode(err error) int {
	var tp *textproto.Error
	if errors.As(err, &tp) {
		return tp.Code
	}
	return 0
}

// relayAdvice says what to fix when the relay check fails (see SMTP.Check), from
// what the server or the network answered.
func relayAdvice(err error) string {
	code := replyCode(err)
	var ee *domain.ExternalError
	errors.As(err, &ee)
	switch {
	case code == 535 || code == 534 || code == 530 || code == 454 && isAuthReply(err):
		return "identifiant ou mot de passe SMTP refusé : vérifiez mail.smtp.username et la variable d'environnement nommée par mail.smtp.password_env"
	case code == 421 || code >= 400 && code < 500:
		return "le relais refuse temporairement les connexions : réessayez plus tard ou prévenez son administrateur"
	case code >= 500:
		return "le relais refuse ce serveur : vérifiez mail.smtp.helo, le compte et que le relais accepte les envois depuis cette machine"
	case ee != nil && ee.Kind == domain.ErrPermanent:
		return "corrigez mail.smtp.security (starttls, tls ou none) ou le mécanisme d'authentification"
	}
	return "relais injoignable : vérifiez mail.smtp.host, mail.smtp.port et mail.smtp.security, et que le relais accepte les connexions depuis cette machine"
}

func isAuthReply(err error) bool {
	var tp *textproto.Error
	return errors.As(err, &tp) && strings.Contains(strings.ToLower(tp.Msg), "auth")
}
