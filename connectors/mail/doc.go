// Package mail sends the four mails of R17 (campaign created, campaign finished,
// Digiposte vault opened, attestation) through SMTP with github.com/wneessen/go-mail,
// or writes them as .eml files in demo mode.
//
//   - NewSMTP: host, port, security (starttls | tls | none), AUTH, timeouts; a small
//     pool of reused connections, safe for concurrent Send; errors classified as
//     domain.ErrTransient (4xx, network) or domain.ErrPermanent (5xx, reason kept).
//   - NewEMLDir: one RFC 5322 file per mail, named after its Message-ID, written
//     atomically; a resend overwrites.
//   - LoadTemplates: embedded French templates (subject, text, HTML per kind), each
//     replaceable by a file of the same name in an override folder.
//   - MessageID: "{kind}.{campaign}.{student}@{from-domain}", so a resend after a
//     crash carries the same id.
//   - Test mode (R18): with a test recipient configured, a mail to any other address
//     is refused, and the real recipient of a student mail is logged at INFO.
//
// See docs/mail.md.
package mail
