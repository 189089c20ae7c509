package cli

import (
	"context"
	"strings"
	"time"

	"hypercerts/app"
	"hypercerts/domain"
)

// alreadyServed counts the students of campaign id left out because an earlier
// campaign served them the same attestation, and when the last of those was.
func alreadyServed(ctx context.Context, a *app.App, id string) (int, time.Time) {
	c, err := a.Engine.Campaign(ctx, a.User, id)
	if err != nil {
		return 0, time.Time{}
	}
	entries, err := a.Engine.Entries(ctx, a.User, id)
	if err != nil {
		return 0, time.Time{}
	}
	served, err := a.Engine.ServedBefore(c.Year, c.VDI)
	if err != nil {
		return 0, time.Time{}
	}
	n, last := 0, time.Time{}
	for _, en := range entries {
		for _, r := range en.Reasons {
			if strings.HasPrefix(r, domain.ReasonServedPrefix) {
				n++
				if s := served[en.Student.Code]; s.At.After(last) {
					last = s.At
				}
			}
		}
	}
	return n, last
}
