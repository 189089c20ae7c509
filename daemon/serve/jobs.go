package serve

import (
	"context"
	"time"

	"hypercerts/app"
	"hypercerts/daemon"
)

// resumeJob resumes the campaigns left unfinished (also once at start).
func resumeJob(a *app.App) daemon.JobFunc { return daemon.ResumeJob(a.Engine) }

// digiposteJob is the Digiposte cycle (R19–R22).
func digiposteJob(a *app.App) daemon.JobFunc { return daemon.DigiposteJob(a.Engine) }

// hubeeSyncJob is the HubEE sync; nil without a configured démarche.
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

// purgeJob is Engine.Purge with daemon.retention_days (0: kept for ever).
func purgeJob(a *app.App) daemon.JobFunc {
	return func(ctx context.Context) (daemon.Result, error) {
		days := a.Config.Daemon.RetentionDays
		if days <= 0 {
			return daemon.Result{"conservation": "illimitée"}, nil
		}
		rep, err := a.Engine.Purge(ctx, time.Duration(days)*24*time.Hour)
		return daemon.Result{"campagnes": len(rep.Campaigns), "étudiants": rep.Entries, "déjà": rep.Already, "dossiers_hubee": rep.HubEECases,
			"compactée": rep.Compacted, "copies_supprimées": len(rep.CopiesRemoved)}, err
	}
}
