package app

import (
	"context"
	"fmt"
	"os"
	"time"

	"hypercerts/config"
	"hypercerts/connectors/digiposte"
	"hypercerts/connectors/mail"
	"hypercerts/connectors/printbatch"
	"hypercerts/domain"
	"hypercerts/metrics"
	"hypercerts/pades"
	"hypercerts/render"
	"hypercerts/store"
	"hypercerts/wiring"
)

// openOutputs opens the store, the renderer, the mailer and the Digiposte vault.
func (a *App) openOutputs(ctx context.Context, o Options, deps *domain.Deps) error {
	cfg := a.Config
	if !o.NoStore {
		open := store.Open
		if _, err := os.Stat(cfg.Store.Path); err == nil && o.ReadOnlyStore {
			open = store.OpenReadOnly
		}
		st, err := open(cfg.Store.Path, cfg.Store.OpenTimeout)
		if err != nil {
			return err
		}
		a.Store = st
		a.closers = append(a.closers, st.Close)
		deps.Store = st
	}
	ro := render.Options{University: cfg.University.Name, City: cfg.University.City, LogoPath: cfg.University.Logo,
		Address: cfg.University.Address, VerifyURL: cfg.Verify.PublicURL}
	if o.Demo && ro.LogoPath == "" {
		ro.Logo = render.DemoLogo() // a neutral demo emblem
	}
	if a.Store != nil {
		// The university's signing key is created at first start, in the base (0600, in
		// every backup); without a base (read-only commands) attestations carry no QR code.
		key, pubs, created, err := a.Store.AttestationKey(time.Now())
		if err != nil {
			return fmt.Errorf("clé de signature des attestations : %w", err)
		}
		if created {
			a.Log.Info("clé de signature des attestations créée (Ed25519)", "clé", key.ID.String())
		}
		ro.Key, a.PublicKeys = key, pubs
	}
	signer, err := a.pdfSigner(o)
	if err != nil {
		return err
	}
	if signer != nil {
		ro.Sign = func(ctx context.Context, pdf []byte) ([]byte, error) {
			return pades.SignContext(ctx, pdf, *signer, time.Now())
		}
	}
	r, err := render.New(ro)
	if err != nil {
		return fmt.Errorf("attestations : %w", err)
	}
	deps.Renderer = r
	if a.Config.Print.Dir != "" { // the print channel (print.dir)
		f, err := printbatch.New(a.Config.Print.Dir, r)
		if err != nil {
			return err
		}
		deps.Printer, a.PrintDir = f, f.Dir()
	}
	if deps.Mailer, err = a.openMailer(); err != nil {
		return err
	}
	deps.Mailer = metrics.Mailer(a.metrics, deps.Mailer)
	if deps.Vault, err = a.openVault(ctx); err != nil {
		return err
	}
	deps.Vault = metrics.Vault(a.metrics, deps.Vault)
	if deps.Hub, err = a.openHub(ctx); err != nil {
		return err
	}
	return nil
}

// pdfSigner gives the university's PAdES signer (signing.*), the demo's own in demo
// mode (created on first start), nil when PDFs are not signed.
func (a *App) pdfSigner(o Options) (*pades.Signer, error) {
	cfg := a.Config
	var (
		s   pades.Signer
		err error
	)
	switch {
	case o.Demo:
		s, err = pades.EnsureDemo(o.DemoDir, cfg.University.Name, time.Now())
	case cfg.Signing.Certificate == "":
		return nil, nil
	case pades.IsPKCS12(cfg.Signing.Certificate):
		var pw config.Secret
		if pw, err = cfg.Secret(cfg.Signing.PasswordEnv); err == nil {
			s, err = pades.LoadPKCS12(cfg.Signing.Certificate, pw.Reveal())
		}
	default:
		var key config.Secret
		if key, err = cfg.Secret(cfg.Signing.KeyEnv); err == nil {
			s, err = pades.LoadPEM(cfg.Signing.Certificate, []byte(key.Reveal()))
		}
	}
	if err != nil {
		return nil, fmt.Errorf("signature des PDF (signing) : %w", err)
	}
	s.Reason, s.Location = cfg.Signing.Reason, cfg.University.City
	if cfg.Signing.TSAURL != "" {
		s.TSA = &pades.TSA{URL: cfg.Signing.TSAURL}
	}
	return &s, nil
}

// openMailer gives the .eml folder (demo) or the SMTP relay. In test mode the mailer
// itself refuses any recipient but the test address (R18, defence in depth).
func (a *App) openMailer() (domain.Mailer, error) {
	cfg := a.Config
	tpl, err := mail.LoadTemplates(cfg.Mail.TemplatesDir)
	if err != nil {
		return nil, err
	}
	testRecipient := wiring.TestRecipient(cfg)
	if cfg.Mail.EMLDir != "" {
		opts := []mail.EMLOption{mail.WithFrom(cfg.Mail.From), mail.WithReplyTo(cfg.Mail.ReplyTo)}
		if testRecipient != "" {
			opts = append(opts, mail.WithTestRecipient(testRecipient))
		}
		d, err := mail.NewEMLDir(cfg.Mail.EMLDir, tpl, a.Log, opts...)
		if err != nil {
			return nil, err
		}
		a.MailDir = d.Dir()
		return d, nil
	}
	sc, err := wiring.SMTP(cfg)
	if err != nil {
		return nil, err
	}
	s, err := mail.NewSMTP(sc, tpl, a.Log)
	if err != nil {
		return nil, err
	}
	a.closers = append(a.closers, func() error { return closeIf(s) })
	return s, nil
}

// openVault gives the Digiposte vault when delivery mode is Digiposte: a local folder
// played by the simulator in the demo, the SFTP server otherwise.
func (a *App) openVault(ctx context.Context) (domain.Vault, error) {
	cfg := a.Config
	d := cfg.Digiposte
	if ch, ok := domain.ChannelOf(domain.Mode(cfg.Delivery.Mode)); (!ok || !ch.Needs().Vault) && d.LocalDir == "" {
		return nil, nil
	}
	if d.LocalDir != "" {
		f, err := wiring.DigiposteFormat(cfg)
		if err != nil {
			return nil, err
		}
		v, err := digiposte.NewLocalDir(d.LocalDir, f, a.Log)
		if err != nil {
			return nil, err
		}
		if cfg.Apogee.Embedded { // demo: Digiposte is played on the folder
			sim, err := digiposte.NewSimulator(d.LocalDir, digiposte.SimOptions{Format: f})
			if err != nil {
				return nil, err
			}
			a.DigiposteSim = sim
		}
		return v, nil
	}
	dc, err := wiring.Digiposte(cfg)
	if err != nil {
		return nil, err
	}
	dc.Log = a.Log
	return digiposte.New(dc)
}

func closeIf(v any) error {
	if c, ok := v.(interface{ Close() error }); ok {
		return c.Close()
	}
	return nil
}
