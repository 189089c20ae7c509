package cli

import (
	"errors"
	"fmt"

	"hypercerts/domain"
	"hypercerts/ui/i18n"
)

// Exit codes, so that cron and scripts notice when the work did not fully happen
// (listed in `hypercerts help`, `campaign run --help` and docs/store-campaigns.md).
const (
	// ExitOK: the work fully happened (campaign run/relaunch/resume: every eligible
	// student was served; a Digiposte campaign or --detach: the campaign is recorded).
	ExitOK = 0
	// ExitError: an error stopped the command (configuration, Apogée, rights, store…).
	ExitError = 1
	// ExitUsage: the command line is wrong.
	ExitUsage = 2
	// ExitPartial: the campaign ended, but some eligible students were not served
	// (mail failed): see campaign show, then campaign relaunch.
	ExitPartial = 3
	// ExitSuspended: the campaign is suspended (mail relay unavailable) or was
	// interrupted; campaign resume (or the daemon) carries on.
	ExitSuspended = 4
	// ExitRelay: the mail relay failed its check before the first student (connect,
	// EHLO, STARTTLS/TLS, AUTH); nothing was recorded or sent.
	ExitRelay = 5
)

// exitCodesHelp documents the codes in --help texts.
const exitCodesHelp = `Codes de sortie : 0 tout est fait (chaque étudiant éligible servi) ; 1 erreur ;
2 ligne de commande incorrecte ; 3 campagne terminée avec des étudiants non servis
(campaign show, puis campaign relaunch) ; 4 campagne suspendue (serveur de courriel
indisponible) ou interrompue (campaign resume, ou le démon, la poursuit) ; 5 serveur
de courriel injoignable ou refusant la connexion avant le premier étudiant : rien n'a
été enregistré ni envoyé.`

// exitError carries a command's exit code with its message.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func withCode(code int, err error) error {
	if err == nil {
		return nil
	}
	return &exitError{code: code, err: err}
}

// exitCode is the code for err returned by a command.
func exitCode(err error) int {
	var ee *exitError
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &ee):
		return ee.code
	case errors.Is(err, errUsage):
		return ExitUsage
	case errors.Is(err, domain.ErrRelayUnavailable):
		return ExitRelay
	}
	return ExitError
}

// outcome turns the last progress of a run into the command's result.
func outcome(id string, p domain.Progress) error {
	switch {
	case p.Suspended:
		return withCode(ExitSuspended, fmt.Errorf("%s ; reprise : hypercerts campaign resume (le démon la reprend seul)", p.Err))
	case p.Interrupted:
		msg := "campagne " + id + " interrompue : elle reprendra au prochain démarrage (hypercerts campaign resume)"
		if p.Err != "" {
			msg = "campagne " + id + " interrompue : " + p.Err
		}
		return withCode(ExitSuspended, errors.New(msg))
	case p.Err != "":
		return errors.New(p.Err)
	}
	if n := unserved(p.Counts); n > 0 {
		return withCode(ExitPartial, fmt.Errorf("%s : hypercerts campaign show %s, puis hypercerts campaign relaunch %s", i18n.Count(n, "%s étudiant éligible sans attestation envoyée", "%s étudiants éligibles sans attestation envoyée"), id, id))
	}
	return nil
}

// unserved counts the eligible students of a campaign not served (failed or pending).
func unserved(counts map[domain.EntryState]int) int {
	by := domain.CountOutcomes(counts)
	return by[domain.OutcomeFailed] + by[domain.OutcomePending]
}
