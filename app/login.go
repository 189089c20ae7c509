package app

import (
	"context"
	"fmt"

	"hypercerts/connectors/cas"
	cassim "hypercerts/connectors/cas/sim"
	"hypercerts/domain"
	"hypercerts/metrics"
)

// LoginFunc gives the sign-in of R01: CAS login → user mapping → Apogée user. It is nil
// when cas.demo_user is set (demo, scripts): that user acts without signing in.
func (a *App) LoginFunc() (func(ctx context.Context, user, password string) (domain.User, error), error) {
	cfg := a.Config.CAS
	if cfg.DemoUser != "" {
		return nil, nil
	}
	url, service := cfg.URL, cfg.Service
	if cfg.SimulatorUsersFile != "" {
		users, err := cassim.LoadUsers(cfg.SimulatorUsersFile)
		if err != nil {
			return nil, err
		}
		s := cassim.New(users)
		s.Log = a.Log
		if url, err = s.Start(); err != nil {
			return nil, err
		}
		a.closers = append(a.closers, s.Close)
		if service == "" {
			service = "http://localhost/hypercerts"
		}
	}
	client, err := cas.New(cas.Config{URL: url, Service: service, CAFile: cfg.CAFile, Timeout: cfg.Timeout, Log: a.Log})
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
