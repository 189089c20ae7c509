package metrics

import (
	"context"

	"hypercerts/domain"
)

// Mailer counts and times every Send of inner as an SMTP call (op: the mail kind).
// Wiring, where the app builds its engine: deps.Mailer = metrics.Mailer(m, deps.Mailer).
func Mailer(m *Metrics, inner domain.Mailer) domain.Mailer {
	if m == nil || inner == nil {
		return inner
	}
	return mailer{m, inner}
}

type mailer struct {
	m     *Metrics
	inner domain.Mailer
}

func (x mailer) Send(ctx context.Context, mail domain.Mail) error {
	done := x.m.Start(SMTP, string(mail.Kind))
	err := x.inner.Send(ctx, mail)
	done(err)
	return err
}

// Check forwards the relay check (domain.RelayChecker) of mailers that have one.
func (x mailer) Check(ctx context.Context) error {
	if c, ok := x.inner.(domain.RelayChecker); ok {
		return c.Check(ctx)
	}
	return nil
}

// Vault counts and times every Digiposte exchange of inner as an SFTP call.
// Wiring: deps.Vault = metrics.Vault(m, deps.Vault).
func Vault(m *Metrics, inner domain.Vault) domain.Vault {
	if m == nil || inner == nil {
		return inner
	}
	return vault{m, inner}
}

type vault struct {
	m     *Metrics
	inner domain.Vault
}

func (v vault) RequestAdhesions(ctx context.Context, batchID string, students []domain.VaultStudent) error {
	done := v.m.Start(SFTP, "adhesions")
	err := v.inner.RequestAdhesions(ctx, batchID, students)
	done(err)
	return err
}

func (v vault) Returns(ctx context.Context) ([]domain.VaultReturn, error) {
	done := v.m.Start(SFTP, "returns")
	r, err := v.inner.Returns(ctx)
	done(err)
	return r, err
}

func (v vault) Acknowledge(ctx context.Context, returnIDs []string) error {
	done := v.m.Start(SFTP, "acknowledge")
	err := v.inner.Acknowledge(ctx, returnIDs)
	done(err)
	return err
}

func (v vault) Deposit(ctx context.Context, batchID string, deposits []domain.Deposit) error {
	done := v.m.Start(SFTP, "deposit")
	err := v.inner.Deposit(ctx, batchID, deposits)
	done(err)
	return err
}
