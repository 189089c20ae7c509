package app

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"

	"hypercerts/config"
	"hypercerts/connectors/hubee"
	hubeesim "hypercerts/connectors/hubee/sim"
	"hypercerts/domain"
	"hypercerts/metrics"
	"hypercerts/wiring"
)

// The demo's HubEE organisations: the university as SI, a service-public-like OSL.
var (
	demoSIOrg  = hubee.OrganizationIdentifier{Type: "SI", CompanyRegister: "19250001700011", BranchCode: "25056"}
	demoOSLOrg = hubee.OrganizationIdentifier{Type: "OSL", CompanyRegister: "13002526500013", BranchCode: "75107"}
)

// demoHubSecret is the secret of every démarche in the simulator when none is configured.
const demoHubSecret = "demo-secret"

// openHub builds the HubEE client from the configuration, as a domain.Hub carrying the
// sync's settings (domain.HubWithSettings). No démarche configured: nil, nil. In the
// "sim" environment it starts the HubEE simulator on loopback; in the demo (embedded
// Apogée) the simulator's OSL files two attestation requests (an admitted student, a
// student not admitted) so that `hubee sync --demo` shows the whole loop.
func (a *App) openHub(ctx context.Context) (domain.Hub, error) {
	h := a.Config.HubEE
	if len(h.Processes) == 0 {
		return nil, nil
	}
	sim := h.Environment == config.HubEESim
	creds := map[string]hubee.Credentials{}
	for _, p := range h.Processes {
		c, err := wiring.HubEECredentials(a.Config, p)
		if err != nil {
			return nil, err
		}
		if sim {
			if c.ClientID == "" {
				c.ClientID = "si-" + p.Code
			}
			if c.ClientSecret == "" {
				c.ClientSecret = demoHubSecret
			}
		}
		creds[p.Code] = c
	}
	hc := wiring.HubEE(a.Config, creds)
	hc.HTTPClient = &http.Client{Transport: a.metrics.RoundTripper(metrics.HubEE, nil)}
	var s *hubeesim.Sim
	if sim {
		s = hubeesim.New()
		base, err := s.Start()
		if err != nil {
			return nil, fmt.Errorf("simulateur HubEE : %w", err)
		}
		a.closers = append(a.closers, func() error { s.Close(); return nil })
		hc.TokenURL, hc.BaseURL = s.TokenURL(), base
		setupHubSim(s, h, creds)
	}
	c, err := hubee.New(hc)
	if err != nil {
		return nil, err
	}
	mode := hubee.StatusPatchThenEvent
	if h.StatusUpdate == "event_only" {
		mode = hubee.StatusEventOnly
	}
	hub := domain.HubWithSettings(hubee.NewHub(c, hubee.HubOptions{StatusMode: mode}), HubEESettings(a.Config))
	if s != nil && a.Sim != nil {
		if err := a.fileDemoRequests(ctx, s, h); err != nil {
			return nil, fmt.Errorf("simulateur HubEE : demandes de démonstration : %w", err)
		}
	}
	return hub, nil
}

// HubEESettings maps the configuration to the sync's settings. The year and the VDI
// asked for are read from the case's "annee" and "vdi" fields (domain defaults): the
// configuration does not name them.
func HubEESettings(cfg *config.Config) domain.HubEESettings {
	s := domain.HubEESettings{BatchSize: cfg.HubEE.MaxResult, CaseAttempts: cfg.HubEE.CaseAttempts, Attempts: cfg.HubEE.Retries,
		StatusByEventOnly: cfg.HubEE.StatusUpdate == "event_only"}
	for _, p := range cfg.HubEE.Processes {
		f := p.Identity.Fields
		d := domain.DefaultHubEEIdentityFields
		role := domain.HubEEOther
		if p.Role == config.RoleAttestationRequest {
			role = domain.HubEEAttestationRequest
		}
		s.Processes = append(s.Processes, domain.HubEEProcess{Code: p.Code, Role: role,
			Identity: domain.HubEEIdentity{Source: p.Identity.Source, AttachmentName: p.Identity.AttachmentName, Format: p.Identity.Format,
				Fields: domain.HubEEIdentityFields{StudentCode: f.StudentCode, INE: f.INE, LastName: f.LastName,
					FirstName: f.FirstName, BirthDate: f.BirthDate, Year: d.Year, VDI: d.VDI}}})
	}
	return s
}

// setupHubSim registers the SI credentials of every démarche, an OSL, the démarches and
// the subscriptions in the simulator. Files are purged at SI_RECEIVED, as the strictest
// démarche would do.
func setupHubSim(s *hubeesim.Sim, h config.HubEE, creds map[string]hubee.Credentials) {
	s.SetPurgeOnStatus(true)
	for _, p := range h.Processes {
		c := creds[p.Code]
		s.AddClient(hubeesim.Client{ID: c.ClientID, Secret: c.ClientSecret, Org: demoSIOrg, Scopes: []string{hubee.ScopeSI}, Processes: []string{p.Code}})
		s.AddClient(hubeesim.Client{ID: "osl-" + p.Code, Secret: demoHubSecret, Org: demoOSLOrg, Scopes: []string{hubee.ScopeOSL}, Processes: []string{p.Code}})
		s.AddProcess(hubee.Process{Code: p.Code, Name: "Attestation de réussite au diplôme", IsActivated: true, OSL: demoOSLOrg,
			AttachmentFormatsEnabled:   []string{"application/json", "application/xml", "application/pdf"},
			SIAttachmentFormatsEnabled: []string{"application/pdf"}, MessageToTransmitter: true,
			AttachmentTypesEnabled: []string{"IDENTITE", "ATTESTATION"}, AttachmentMaxSizeEnabled: 10 << 20,
			StatusBeforeFileDeletion: hubee.StatusSIReceived, TimeBeforeFileDeletion: 7, TimeBeforeArchiving: 30,
			TimeBeforeFolderDeletion: 30, SubscriptionValidation: hubee.SubscriptionValidationManual})
		s.Subscribe(p.Code, demoSIOrg, "hubee@univ-demo.fr")
	}
}

// fileDemoRequests files, as the OSL, one request per demo student: an admitted one and
// one the jury did not admit, on the first démarche that takes attestation requests.
func (a *App) fileDemoRequests(ctx context.Context, s *hubeesim.Sim, h config.HubEE) error {
	var proc *config.HubEEProcess
	for i := range h.Processes {
		if h.Processes[i].Role == config.RoleAttestationRequest {
			proc = &h.Processes[i]
			break
		}
	}
	if proc == nil {
		return nil
	}
	cases := a.Sim.Cases()
	for _, name := range []string{"admitted", "not_admitted"} {
		code, ok := cases[name]
		if !ok {
			continue
		}
		cp, err := a.Sim.CaseCampaign(name)
		if err != nil {
			return err
		}
		applicant := hubee.Applicant{FirstName: "Étudiant", LastName: code}
		f := proc.Identity.Fields
		attrs := map[string]string{f.StudentCode: code, "annee": cp.Year, "vdi": cp.VDI.Key()}
		if adm, err := a.Apogee.AdminInfo(ctx, code); err == nil {
			applicant = hubee.Applicant{FirstName: adm.FirstName1, LastName: adm.LastName}
			if f.LastName != "" {
				attrs[f.LastName] = adm.LastName
			}
			if f.BirthDate != "" && !adm.BirthDate.IsZero() {
				attrs[f.BirthDate] = adm.BirthDate.Format("2006-01-02")
			}
		}
		req := hubeesim.Request{Process: proc.Code, OSL: demoOSLOrg, SI: demoSIOrg, Applicant: applicant}
		if proc.Identity.Source == config.IdentityAttachment {
			req.Files = []hubeesim.File{{Name: "identite.json", Type: "IDENTITE", MimeType: "application/json", Data: jsonObject(attrs)}}
		} else {
			req.PartnerAttributes = attributes(attrs)
		}
		if _, err := s.FileRequest(req); err != nil {
			return err
		}
	}
	return nil
}

// attributes writes "clé=valeur;…" in a stable order.
func attributes(m map[string]string) string {
	var parts []string
	for _, k := range sortedKeys(m) {
		if k != "" {
			parts = append(parts, k+"="+m[k])
		}
	}
	return strings.Join(parts, ";")
}

func jsonObject(m map[string]string) []byte {
	delete(m, "")
	data, _ := json.Marshal(m) // a map of strings always marshals; keys sorted
	return data
}

func sortedKeys(m map[string]string) []string { return slices.Sorted(maps.Keys(m)) }
