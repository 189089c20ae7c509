package app

import (
	"context"
	"fmt"
	"net"

	"hypercerts/verify"
	"hypercerts/verify/web"
)

// ServeVerifyPage serves the public verification page when verify.listen is set (the
// daemon, and the demo UI which plays the daemon's part on loopback) until ctx ends.
func (a *App) ServeVerifyPage(ctx context.Context) error {
	cfg, log := a.Config, a.Log
	if cfg.Verify.Listen == "" || a.Store == nil {
		return nil
	}
	ln, err := net.Listen("tcp", cfg.Verify.Listen)
	if err != nil && a.Sim != nil { // the demo's fixed loopback port may be taken by another demo
		log.Warn("démo : page de vérification non servie", "adresse", cfg.Verify.Listen, "erreur", err)
		return nil
	}
	if err != nil {
		return fmt.Errorf("verify.listen %s : %w", cfg.Verify.Listen, err)
	}
	go web.Serve(ctx, ln, web.Handler(web.Options{University: cfg.University.Name,
		Keys: a.Store.AttestationPublicKeys, Checker: verify.Checker{Revoked: a.Engine.Revoked},
		RatePerMinute: cfg.Verify.RateLimit, TrustedProxies: cfg.Verify.TrustedProxyPrefixes(), Log: log}))
	log.Info("page de vérification des attestations servie", "adresse", ln.Addr().String(), "adresse_publique", cfg.Verify.PublicURL)
	return nil
}
