package hubee_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	legacyrouter "github.com/getkin/kin-openapi/routers/legacy"

	"hypercerts/connectors/hubee"
	"hypercerts/connectors/hubee/sim"
)

// The contract: the official OpenAPI files, read from ../shared at test time.
var contractFiles = []struct{ file, prefix string }{
	{"api_folder_v1.2.7.yaml", hubee.TeledossiersPrefix},
	{"api_subscription_v1.2.3.yaml", hubee.ReferentialPrefix},
	{"api_organization_v1.2.0.yaml", hubee.ReferentialPrefix},
	{"api_process_v1.2.1.yaml", hubee.ReferentialPrefix},
}

func swaggerDir() string {
	return filepath.Join("..", "..", "..", "shared", "reference", "hubee", "swagger")
}

// validator is an http.RoundTripper that checks every request the client sends and every
// answer the simulator returns against the OpenAPI files.
type validator struct {
	t       testing.TB
	base    http.RoundTripper
	routers []routers.Router
	mu      sync.Mutex
	ops     map[string]int // operationIds seen
	checked int
}

func newValidator(t testing.TB, baseURL string) *validator {
	t.Helper()
	v := &validator{t: t, base: http.DefaultTransport, ops: map[string]int{}}
	for _, cf := range contractFiles {
		loader := openapi3.NewLoader()
		doc, err := loader.LoadFromFile(filepath.Join(swaggerDir(), cf.file))
		if err != nil {
			t.Fatalf("contrat %s illisible : %v", cf.file, err)
		}
		// The published examples break their own constraints.
		if err := doc.Validate(context.Background(), openapi3.DisableExamplesValidation()); err != nil {
			t.Logf("contrat %s : %v (validation poursuivie)", cf.file, err)
		}
		doc.Servers = openapi3.Servers{{URL: baseURL + cf.prefix}}
		r, err := legacyrouter.NewRouter(doc, openapi3.DisableExamplesValidation())
		if err != nil {
			t.Fatalf("routeur %s : %v", cf.file, err)
		}
		v.routers = append(v.routers, r)
	}
	return v
}

func (v *validator) find(req *http.Request) (*routers.Route, map[string]string) {
	for _, r := range v.routers {
		if route, params, err := r.FindRoute(req); err == nil {
			return route, params
		}
	}
	return nil, nil
}

func (v *validator) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Path == sim.TokenPath {
		return v.base.RoundTrip(req)
	}
	var reqBody []byte
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		if err != nil {
			return nil, err
		}
		_ = req.Body.Close()
		reqBody = b
		req.Body = io.NopCloser(bytes.NewReader(b))
	}
	route, params := v.find(req)
	if route == nil {
		v.t.Errorf("contrat : %s %s n'existe dans aucun fichier OpenAPI", req.Method, req.URL.Path)
		return v.base.RoundTrip(req)
	}
	check := req.Clone(req.Context())
	check.Body = io.NopCloser(bytes.NewReader(reqBody))
	in := &openapi3filter.RequestValidationInput{Request: check, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
	if err := openapi3filter.ValidateRequest(req.Context(), in); err != nil {
		v.t.Errorf("contrat : requête %s %s (%s) invalide : %v", req.Method, req.URL.Path, route.Operation.OperationID, err)
	}
	v.mu.Lock()
	v.ops[route.Operation.OperationID]++
	v.checked++
	v.mu.Unlock()

	resp, err := v.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: resp.StatusCode, Header: resp.Header,
		Body: io.NopCloser(bytes.NewReader(body)), Options: &openapi3filter.Options{}}
	if err := openapi3filter.ValidateResponse(req.Context(), out); err != nil {
		v.t.Errorf("contrat : réponse %d à %s %s (%s) invalide : %v\n%s", resp.StatusCode, req.Method, req.URL.Path,
			route.Operation.OperationID, err, truncate(body))
	}
	return resp, nil
}

func truncate(b []byte) string {
	if len(b) > 600 {
		return string(b[:600]) + "…"
	}
	return string(b)
}

func (v *validator) seen() map[string]int {
	v.mu.Lock()
	defer v.mu.Unlock()
	out := map[string]int{}
	for k, n := range v.ops {
		out[k] = n
	}
	return out
}

// ---- the test platform ----

const process = "ATTREUSS"

var (
	siOrg    = hubee.OrganizationIdentifier{Type: "SI", CompanyRegister: "19751719400017", BranchCode: "SCOL"}
	oslOrg   = hubee.OrganizationIdentifier{Type: "OSL", CompanyRegister: "13000918600011", BranchCode: "PSL"}
	adminOrg = hubee.OrganizationIdentifier{Type: "ADMIN", CompanyRegister: "13002526500013", BranchCode: "DINUM"}
)

type env struct {
	sim    *sim.Sim
	v      *validator
	client *hubee.Client
	si     *hubee.Session
	osl    *hubee.Session
	admin  *hubee.Session
}

type option func(*hubee.Config)

func setup(t testing.TB, opts ...option) *env {
	t.Helper()
	s := sim.New()
	base, err := s.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	s.AddClient(sim.Client{ID: "si-attreuss", Secret: "s3cret-si", Org: siOrg, Scopes: []string{hubee.ScopeSI}, Processes: []string{process}})
	s.AddClient(sim.Client{ID: "osl-attreuss", Secret: "s3cret-osl", Org: oslOrg, Scopes: []string{hubee.ScopeOSL}, Processes: []string{process}})
	s.AddClient(sim.Client{ID: "admin", Secret: "s3cret-admin", Org: adminOrg, Scopes: []string{hubee.ScopeAdmin}})
	s.AddProcess(hubee.Process{Code: process, Name: "Attestation de réussite", IsActivated: true, OSL: oslOrg,
		AttachmentFormatsEnabled: []string{"application/json", "application/pdf"}, AttachmentTypesEnabled: []string{"IDENTITE", "ATTESTATION"},
		SIAttachmentFormatsEnabled: []string{"application/pdf"}, MessageToTransmitter: true,
		AttachmentMaxSizeEnabled: 10 << 20, StatusBeforeFileDeletion: hubee.StatusSIReceived, TimeBeforeFileDeletion: 7,
		TimeBeforeArchiving: 30, TimeBeforeFolderDeletion: 30, SubscriptionValidation: hubee.SubscriptionValidationManual})
	s.Subscribe(process, siOrg, "hubee@univ-exemple.fr")

	v := newValidator(t, base)
	cfg := hubee.Config{
		BaseURL: base, TokenURL: s.TokenURL(), Scope: hubee.ScopeSI,
		Credentials: map[string]hubee.Credentials{process: {ClientID: "si-attreuss", ClientSecret: "s3cret-si"}},
		EditorName:  "Université Exemple", ApplicationName: "hypercerts", SoftwareVersion: "test",
		HTTPClient: &http.Client{Transport: v, Timeout: 10 * time.Second},
		Backoff:    time.Millisecond,
	}
	for _, o := range opts {
		o(&cfg)
	}
	c, err := hubee.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	si, err := c.Session(process)
	if err != nil {
		t.Fatal(err)
	}
	return &env{sim: s, v: v, client: c, si: si,
		osl:   c.NewSession(hubee.Credentials{ClientID: "osl-attreuss", ClientSecret: "s3cret-osl"}, hubee.ScopeOSL),
		admin: c.NewSession(hubee.Credentials{ClientID: "admin", ClientSecret: "s3cret-admin"}, hubee.ScopeAdmin)}
}

// fileRequest files an attestation request through the simulator's OSL helper.
func (e *env) fileRequest(t *testing.T, n int) sim.Filed {
	t.Helper()
	f, err := e.sim.FileRequest(sim.Request{Process: process, OSL: oslOrg, SI: siOrg,
		Applicant:         hubee.Applicant{FirstName: "Camille", LastName: "MARTIN"},
		PartnerAttributes: "codEtu=2100" + strings.Repeat("0", 1) + string(rune('0'+n%10)) + ";dateNaissance=2001-04-12",
		Files: []sim.File{{Name: "identite.json", Type: "IDENTITE", MimeType: "application/json",
			Data: []byte(`{"ine":"1234567890A","nom":"MARTIN","dateNaissance":"2001-04-12"}`)}}})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}
