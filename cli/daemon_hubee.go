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
			"à_traiter": rep.ToHandle, "erreurs_intégration": rep.IntegrationErrors, "reportées": rep.Deferred,
			"obsolètes": rep.Obsolete, "à_reprendre": len(rep.NeedsPerson)}, err
	}
}
