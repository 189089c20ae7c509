package app

import (
	"context"
	"fmt"

	"hypercerts/connectors/cas"
	"hypercerts/domain"
	"hypercerts/metrics"
	"hypercerts/wiring"
)

// LoginFunc gives the sign-in of R01: CAS login → user mapping → Apogée user. It is nil
// when cas.demo_user is set (demo, scripts): that user acts without signing in.
func (a *App) LoginFunc() (func(ctx context.Context, user, password string) (domain.User, error), error) {
	cfg := a.Config.CAS
	if cfg.DemoUser != "" {
		return nil, nil
	}
	s, cc, err := wiring.CASSimulator(a.Config, a.Log) // the settings of cas.url when none
	if err != nil {
		return nil, err
	}
	if s != nil {
		a.closers = append(a.closers, s.Close)
	}
	cc.Log = a.Log
	client, err := cas.New(cc)
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context, user, password string) (domain.User, error) {
		done := a.metrics.Start(metrics.CAS, "login")
		id, err := client.Login(ctx, user, password)
		done(err)
		if err != nil {
			return domain.User{}, err
		}
		code := cfg.UserMapping.Map(id.User, id.Flat())
		if code == "" {
			return domain.User{}, fmt.Errorf("%w : le CAS n'a pas donné l'attribut %q pour %s (cas.user_mapping)",
				domain.ErrForbidden, cfg.UserMapping.Attribute, id.User)
		}
		u, err := a.Apogee.DB.User(ctx, code) // an unknown Apogée user is R01's third message
		if err != nil {
			return domain.User{}, fmt.Errorf("compte CAS %s reconnu, mais %w", id.User, err)
		}
		a.Log.Info("connexion", "compte_cas", id.User, "utilisateur", u.Code)
		return u, nil
	}, nil
}
