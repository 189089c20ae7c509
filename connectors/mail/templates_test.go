package mail_test

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"hypercerts/connectors/mail"
	"hypercerts/domain"
)

func TestR17_DefaultTemplatesFrench(t *testing.T) {
	tpl, err := mail.LoadTemplates("")
	if err != nil {
		t.Fatal(err)
	}
	kinds := []domain.MailKind{domain.MailCampaignCreated, domain.MailCampaignFinished,
		domain.MailVaultOpened, domain.MailAttestation}
	for _, k := range kinds {
		m := domain.Mail{Kind: k, CampaignID: "C1", StudentCode: "1", To: "x@univ-test.fr",
			Data: mailData(`Zoé <script>alert("x")</script> O'Neil`), Attachment: []byte("%PDF")}
		r, err := tpl.Render(m)
		if err != nil {
			t.Fatalf("%s : %v", k, err)
		}
		if r.Subject == "" || strings.Contains(r.Subject, "\n") {
			t.Errorf("%s : objet %q", k, r.Subject)
		}
		for _, body := range []string{r.Text, r.HTML} {
			if !strings.Contains(body, "Bonjour") || !strings.Contains(body, "Université de Test") {
				t.Errorf("%s : formule ou université absente :\n%s", k, body)
			}
			if strings.Contains(body, "<no value>") || strings.Contains(body, "tu ") {
				t.Errorf("%s : valeur manquante ou tutoiement :\n%s", k, body)
			}
		}
		if strings.Contains(r.HTML, "<script>") {
			t.Errorf("%s : HTML non échappé", k)
		}
		if (k == domain.MailVaultOpened || k == domain.MailAttestation) &&
			!strings.Contains(r.Text, "Zoé <script>alert(\"x\")</script> O'Neil") {
			t.Errorf("%s : le texte brut doit garder le nom tel quel :\n%s", k, r.Text)
		}
	}
	if _, err := tpl.Render(domain.Mail{Kind: "inconnu"}); err == nil {
		t.Error("type de courriel inconnu accepté")
	}
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestTemplates_OverrideByName(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "attestation.subject.tmpl", `Attestation de {{.StudentName}} — {{.YearLabel}}`)
	writeFile(t, dir, "attestation.txt.tmpl", "{{template \"banner\" .}}Madame, Monsieur {{.StudentName}},\nci-joint votre attestation.\n")
	writeFile(t, dir, "LISEZMOI.txt", "ignoré : pas un .tmpl")
	tpl, err := mail.LoadTemplates(dir)
	if err != nil {
		t.Fatal(err)
	}
	r, err := tpl.Render(attestationMail("1", "a@univ-test.fr", []byte("%PDF")))
	if err != nil {
		t.Fatal(err)
	}
	if r.Subject != "Attestation de Marie-Hélène Lefèvre-Ñúñez — 2024-2025" {
		t.Errorf("objet %q", r.Subject)
	}
	if r.Text != "Madame, Monsieur Marie-Hélène Lefèvre-Ñúñez,\nci-joint votre attestation.\n" {
		t.Errorf("texte %q", r.Text)
	}
	if !strings.Contains(r.HTML, "Nous avons le plaisir") {
		t.Error("le HTML non remplacé doit rester celui par défaut")
	}
	// The override reaches the wire.
	ts := startServer(t, serverOpts{})
	s, err := mail.NewSMTP(ts.config(), tpl, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Send(context.Background(), attestationMail("1", "a@univ-test.fr", []byte("%PDF"))); err != nil {
		t.Fatal(err)
	}
	if p := parseMessage(t, ts.Msgs()[0].Data); p.Subject != r.Subject {
		t.Errorf("objet envoyé %q", p.Subject)
	}
}

func TestTemplates_BrokenOverrideNamed(t *testing.T) {
	cases := []struct {
		name, file, content string
		want                []string
	}{
		{"syntax", "attestation.html.tmpl", "<p>{{.StudentName</p>", []string{"attestation.html.tmpl"}},
		{"unknown field", "vault_opened.txt.tmpl", "Bonjour {{.Prenom}}", []string{"vault_opened.txt.tmpl", "Prenom"}},
		{"unknown partial", "campaign_created.txt.tmpl", `{{template "entete" .}}`, []string{"campaign_created.txt.tmpl", "entete"}},
		{"broken common", "common.txt.tmpl", `{{define "banner"}}{{.Rien}}{{end}}`, []string{"common.txt.tmpl", "Rien"}},
		{"unknown name", "attestaton.txt.tmpl", "x", []string{"attestaton.txt.tmpl", "nom inconnu", "attestation.txt.tmpl"}},
		{"empty subject", "attestation.subject.tmpl", "  ", []string{"attestation.subject.tmpl", "vide"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			path := writeFile(t, dir, c.file, c.content)
			_, err := mail.LoadTemplates(dir)
			if err == nil {
				t.Fatal("modèle cassé accepté")
			}
			if !strings.Contains(err.Error(), path) {
				t.Errorf("le chemin %s manque dans %q", path, err)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%q manque dans %q", w, err)
				}
			}
		})
	}
	if _, err := mail.LoadTemplates(filepath.Join(t.TempDir(), "absent")); err == nil ||
		!strings.Contains(err.Error(), "absent") {
		t.Errorf("dossier absent : %v", err)
	}
}

func TestTemplates_DefaultsExportable(t *testing.T) {
	var names []string
	err := fs.WalkDir(mail.DefaultTemplatesFS(), ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			names = append(names, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(names, ",") != strings.Join(mail.TemplateNames(), ",") {
		t.Errorf("fichiers %v, noms %v", names, mail.TemplateNames())
	}
	// Copying them all into an override folder gives the same mails.
	dir := t.TempDir()
	for _, n := range names {
		b, _ := fs.ReadFile(mail.DefaultTemplatesFS(), n)
		writeFile(t, dir, n, string(b))
	}
	a, err := mail.LoadTemplates(dir)
	if err != nil {
		t.Fatal(err)
	}
	b := mail.MustDefaultTemplates()
	m := attestationMail("1", "a@univ-test.fr", []byte("%PDF"))
	ra, _ := a.Render(m)
	rb, _ := b.Render(m)
	if ra != rb {
		t.Error("les modèles copiés ne donnent pas le même courriel")
	}
}

func TestMessageID_DeterministicAndSanitised(t *testing.T) {
	cases := []struct {
		m    domain.Mail
		from string
		want string
	}{
		{domain.Mail{Kind: domain.MailAttestation, CampaignID: "C-2024-0007", StudentCode: "21901234"},
			"univ-test.fr", "attestation.C-2024-0007.21901234@univ-test.fr"},
		{domain.Mail{Kind: domain.MailVaultOpened, CampaignID: "2024/SCI LMATH.201", StudentCode: "219 01<>"},
			"Univ_Test.FR.", "vault_opened.2024-SCI-LMATH-201.219-01--@univtest.fr"},
		{domain.Mail{Kind: domain.MailCampaignCreated, CampaignID: "C1", To: "g.martin@univ-test.fr"},
			"univ-test.fr", "campaign_created.C1.g-martin-univ-test-fr@univ-test.fr"},
		{domain.Mail{Kind: domain.MailCampaignCreated, CampaignID: "C1", To: "recette@univ-test.fr", RealTo: "g.martin@univ-test.fr"},
			"univ-test.fr", "campaign_created.C1.g-martin-univ-test-fr@univ-test.fr"},
		{domain.Mail{Kind: domain.MailAttestation}, "", "attestation.x.x@hypercerts.invalid"},
	}
	for _, c := range cases {
		if got := mail.MessageID(c.m, c.from); got != c.want {
			t.Errorf("MessageID = %q, %q attendu", got, c.want)
		}
		if first, second := mail.MessageID(c.m, c.from), mail.MessageID(c.m, c.from); first != second {
			t.Error("non déterministe")
		}
	}
}
