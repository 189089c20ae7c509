package serve

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"hypercerts/app"
	"hypercerts/domain"
	"hypercerts/export"
	"hypercerts/ui/common"
)

// mailExport is how a session exports a preview over SSH: the CSV goes to the
// manager's own address (UTILISATEUR.ADR_MAIL_UTI, as for R17b) as an attachment; in
// test mode to the test address, like every mail.
func mailExport(a *app.App) func(ctx context.Context, user domain.User, e common.Export) (string, error) {
	return func(ctx context.Context, user domain.User, e common.Export) (string, error) {
		mailer := a.Engine.Deps().Mailer
		if mailer == nil {
			return "", errors.New("aucun envoi de courriel n'est configuré sur ce serveur (section mail)")
		}
		if user.Email == "" {
			//lint:ignore ST1005 Apogée is a proper noun
			return "", fmt.Errorf("Apogée ne connaît pas votre adresse électronique (UTILISATEUR.ADR_MAIL_UTI de %s) : faites-la renseigner", user.Code)
		}
		var buf bytes.Buffer
		if err := export.WritePreviewCSV(&buf, e.Rows); err != nil {
			return "", err
		}
		s := a.Engine.Settings()
		m := domain.Mail{Kind: domain.MailPreviewExport, CampaignID: "apercu", Ref: fmt.Sprint(time.Now().UnixNano()),
			To: user.Email, AttachmentName: e.Name, Attachment: buf.Bytes(),
			Data: domain.MailData{University: a.Config.University.Name, DiplomaLabel: e.What, YearLabel: e.YearLabel}}
		if s.TestMode && s.TestRecipient != "" {
			m.To, m.RealTo = s.TestRecipient, user.Email
			m.Data.TestMode, m.Data.RealTo = true, user.Email
		}
		if err := mailer.Send(ctx, m); err != nil {
			return "", err
		}
		return m.To, nil
	}
}
