package serve

import (
	"context"
	"os"
	"strings"
	"testing"

	"hypercerts/app"
	"hypercerts/domain"
	"hypercerts/ui/common"
)

// Over SSH the preview's CSV export is mailed to the manager's own address as an
// attachment (text/csv), not left on the server.
func TestSSHExportIsMailedToTheManager(t *testing.T) {
	a, err := app.Open(context.Background(), app.Options{Demo: true, DemoDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if a.User.Email == "" {
		t.Fatalf("demo user without an address: %+v", a.User)
	}
	rows := []domain.Row{{Student: domain.Student{Code: "21000001", LastName: "LEFÈVRE", FirstName1: "Élodie"}, Eligible: true}}
	to, err := mailExport(a)(context.Background(), a.User, common.Export{Name: "apercu-LMATH-201-2024.csv",
		What: "Licence Mathématiques (LMATH/201)", YearLabel: "2024-2025", Rows: rows})
	if err != nil || to != a.User.Email {
		t.Fatalf("sent to %q: %v", to, err)
	}
	files, err := os.ReadDir(a.MailDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		b, _ := os.ReadFile(a.MailDir + "/" + f.Name())
		if s := string(b); strings.Contains(s, "apercu-LMATH-201-2024.csv") {
			if !strings.Contains(s, "text/csv") || !strings.Contains(s, "Export de l") {
				t.Fatalf("export mail without its CSV:\n%s", s)
			}
			return
		}
	}
	t.Fatalf("no export mail among %d files in %s", len(files), a.MailDir)
}
