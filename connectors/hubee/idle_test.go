package hubee_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"hypercerts/connectors/hubee"
	"hypercerts/connectors/hubee/sim"
	"hypercerts/domain"
)

// slowLink serves the simulator, but sends download bodies in chunks with a pause
// between them (a slow link), or stops after the first chunk (a stalled one).
type slowLink struct {
	h     http.Handler
	pause time.Duration
	stall bool
}

func (s slowLink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet || !strings.Contains(r.URL.Path, "/attachments/") {
		s.h.ServeHTTP(w, r)
		return
	}
	rec := httptest.NewRecorder()
	s.h.ServeHTTP(rec, r)
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	body := rec.Body.Bytes()
	const chunk = 1 << 10
	for i := 0; i < len(body); i += chunk {
		_, _ = w.Write(body[i:min(i+chunk, len(body))])
		w.(http.Flusher).Flush()
		if s.stall {
			<-r.Context().Done()
			return
		}
		time.Sleep(s.pause)
	}
}

// A download is bounded by its idle time, not its length: a file arriving slowly for
// longer than the call timeout is received; one that stalls is abandoned (transient).
func TestDownloadIdleTimeoutNotWholeBody(t *testing.T) {
	for _, tc := range []struct {
		name  string
		stall bool
	}{{"lent mais continu", false}, {"bloqué", true}} {
		t.Run(tc.name, func(t *testing.T) {
			s := sim.New()
			if _, err := s.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(s.Close)
			srv := httptest.NewServer(slowLink{h: s.Handler(), pause: 40 * time.Millisecond, stall: tc.stall})
			t.Cleanup(srv.Close)
			s.AddClient(sim.Client{ID: "si", Secret: "x", Org: siOrg, Scopes: []string{hubee.ScopeSI}})
			s.AddClient(sim.Client{ID: "osl", Secret: "x", Org: oslOrg, Scopes: []string{hubee.ScopeOSL}})
			s.AddProcess(hubee.Process{Code: process, Name: "p", IsActivated: true, OSL: oslOrg,
				AttachmentFormatsEnabled: []string{"application/pdf"}, StatusBeforeFileDeletion: hubee.StatusDone})
			s.Subscribe(process, siOrg, "si@example.org")
			data := bytes.Repeat([]byte("x"), 12<<10) // 12 chunks: ~0.5 s in all
			filed, err := s.FileRequest(sim.Request{Process: process, OSL: oslOrg, SI: siOrg,
				Applicant: hubee.Applicant{FirstName: "A", LastName: "B"},
				Files:     []sim.File{{Name: "f.pdf", Type: "IDENTITE", MimeType: "application/pdf", Data: data}}})
			if err != nil {
				t.Fatal(err)
			}
			c, err := hubee.New(hubee.Config{BaseURL: srv.URL, TokenURL: srv.URL + sim.TokenPath, MaxAttempts: 1,
				Credentials: map[string]hubee.Credentials{process: {ClientID: "si", ClientSecret: "x"}},
				CallTimeout: 200 * time.Millisecond, IdleTimeout: time.Second})
			if err != nil {
				t.Fatal(err)
			}
			hub := hubee.NewHub(c, hubee.HubOptions{TempDir: t.TempDir()})
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			var buf bytes.Buffer
			n, err := hub.DownloadCaseAttachment(ctx, process, filed.CaseID, filed.AttachmentIDs[0], int64(len(data)), &buf)
			if !tc.stall {
				if err != nil || n != int64(len(data)) || !bytes.Equal(buf.Bytes(), data) {
					t.Fatalf("téléchargement lent : %d %v", n, err)
				}
				return
			}
			if err == nil || !domain.IsTransient(err) || buf.Len() != 0 {
				t.Fatalf("téléchargement bloqué : %v, %d octets remis", err, buf.Len())
			}
		})
	}
}
