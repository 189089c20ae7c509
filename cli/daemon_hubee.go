package cli

import (
	"context"

	"hypercerts/app"
	"hypercerts/daemon"
)

// The HubEE sync runs in the daemon when démarches are configured.
// hubeeSyncJob is the daemon's HubEE sync; nil without a configured démarche.
func hubeeSyncJob(a *app.App) daemon.JobFunc {
	if len(a.Config.HubEE.Processes) == 0 {
		return nil
	}
	return func(ctx context.Context) (daemon.Result, error) {
		rep, err := a.Engine.HubEESync(ctx)
		return daemon.Result{"notifications": rep.Notifications, "déposées": rep.Delivered, "refusées": rep.Refused,
			"à traiter": rep.ToHandle, "erreurs d'intégration": rep.IntegrationErrors, "reportées": rep.Deferred,
			"obsolètes": rep.Obsolete, "à reprendre": len(rep.NeedsPerson)}, err
	}
}
