package domain_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"hypercerts/connectors/apogee"
	"hypercerts/connectors/apogee/sim"
	"hypercerts/domain"
)

// simSOAPOps are the embedded Apogée's SOAP operations a preview or a launch calls.
var simSOAPOps = []string{"recupererSE_v3", "recupererListeEtudiants", "recupererIdentifiantsEtudiant",
	"recupererInfosAdmEtu_v4", "recupererInfosAdmEtu_v3", "recupererContratPedagogiqueResultatVdiVet_v2", "recupererSignataire"}

// simCalls counts the SOAP calls per operation the embedded Apogée received.
func simCalls(s *sim.Apogee) map[string]int {
	out := map[string]int{}
	for _, op := range simSOAPOps {
		out[op] = s.Calls(op)
	}
	return out
}

func callsSince(s *sim.Apogee, before map[string]int) (map[string]int, int) {
	out, total := map[string]int{}, 0
	for op, n := range simCalls(s) {
		if d := n - before[op]; d > 0 {
			out[op], total = d, total+d
		}
	}
	return out, total
}

var simGest = domain.User{Code: sim.DemoUser, Email: "gestionnaire@univ.example.fr"}

// newSimRunEnv is newRunEnv over the embedded Apogée's real SOAP and SQL.
func newSimRunEnv(t testing.TB, students int, latency time.Duration, tweak func(*domain.Settings, *domain.Deps)) (*runEnv, *sim.Apogee) {
	t.Helper()
	s, err := sim.Open(sim.Options{Seed: 1, Students: students, Latency: latency})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	base, err := s.Start()
	if err != nil {
		t.Fatal(err)
	}
	ws, err := apogee.NewWS(apogee.WSConfig{BaseURL: base, Timeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	db, err := apogee.OpenDB(s.DB(), "sqlite", "")
	if err != nil {
		t.Fatal(err)
	}
	ad := &apogee.Adapter{WS: ws, DB: db, AbsentNature: "9", SignerCode: sim.SignerCode, SignerKey: sim.SignatureKey}
	env := newRunEnv(t, nil, func(st *domain.Settings, d *domain.Deps) {
		d.Apogee = ad
		if tweak != nil {
			tweak(st, d)
		}
	})
	return env, s
}

func TestR15_LaunchFromFreshPreviewRereadsOnlyBlockings(t *testing.T) {
	t.Parallel()
	env, s := newSimRunEnv(t, 200, 0, nil)
	ctx := context.Background()
	cp, err := s.CaseCampaign("admitted")
	if err != nil {
		t.Fatal(err)
	}
	req := domain.PreviewRequest{Year: cp.Year, Component: cp.Component, VDI: cp.VDI, VETs: cp.VETs}
	rows, err := env.engine.PreviewAll(ctx, simGest, req)
	if err != nil || len(rows) < 5 {
		t.Fatalf("preview: %d rows, %v", len(rows), err)
	}
	// A blocking put on an eligible student in Apogée between the preview and the launch.
	code := s.Cases()["admitted"]
	if _, err := s.DB().Exec(`INSERT INTO IND_SUBIR_BLOCAGE (COD_IND, COD_BLO, COD_ETP)
		SELECT COD_IND, 'BIN1', ? FROM INDIVIDU WHERE COD_ETU = ?`, cp.VETs[0].Etape, code); err != nil {
		t.Fatal(err)
	}

	decide := 0 // the students whose blockings decide: eligible, or excluded by blockings only
	for _, r := range rows {
		only := true
		for _, why := range r.Reasons {
			only = only && (strings.HasPrefix(why, domain.ReasonBlocked+" : ") || why == domain.ReasonNoEmail)
		}
		if only {
			decide++
		}
	}
	if decide == 0 || decide == len(rows) {
		t.Fatalf("%d of %d students decided by their blockings: the case needs both kinds", decide, len(rows))
	}
	before := simCalls(s)
	c, err := env.engine.Launch(ctx, simGest, req, domain.LaunchOptions{
		Preview: &domain.PreviewSnapshot{Request: req, Rows: rows, At: time.Now().Add(-time.Minute)}})
	if err != nil {
		t.Fatal(err)
	}
	c = env.wait(t, c.ID)
	calls, _ := callsSince(s, before)
	adm := calls["recupererInfosAdmEtu_v4"] + calls["recupererInfosAdmEtu_v3"]
	if adm != decide || calls["recupererIdentifiantsEtudiant"] != 0 || calls["recupererContratPedagogiqueResultatVdiVet_v2"] != 0 ||
		calls["recupererListeEtudiants"] != 0 {
		t.Errorf("fresh preview: launch called %v, want only the administrative info of the %d students whose blockings decide", calls, decide)
	}
	en := env.states(t, c.ID)[code]
	if en.State != domain.EntryExcluded || !strings.Contains(strings.Join(en.Reasons, ";"), domain.ReasonBlocked+" : ") {
		t.Errorf("student blocked after the preview: %s %v, want excluded for the blocking (R15)", en.State, en.Reasons)
	}
	if d := auditDetail(t, env, c.ID); !strings.Contains(d, "d'après l'aperçu de ") || !strings.Contains(d, "blocages revérifiés") {
		t.Errorf("audit: %s", d)
	}

	// A stale preview (older than PreviewReuse) is read again in full.
	before = simCalls(s)
	c2, err := env.engine.Launch(ctx, simGest, req, domain.LaunchOptions{IncludeServed: true,
		Preview: &domain.PreviewSnapshot{Request: req, Rows: rows, At: time.Now().Add(-domain.DefaultPreviewReuse - time.Minute)}})
	if err != nil {
		t.Fatal(err)
	}
	env.wait(t, c2.ID)
	calls, _ = callsSince(s, before)
	if calls["recupererIdentifiantsEtudiant"] != len(rows) || calls["recupererContratPedagogiqueResultatVdiVet_v2"] == 0 {
		t.Errorf("stale preview: launch called %v, want a full read of the %d students", calls, len(rows))
	}
	if d := auditDetail(t, env, c2.ID); !strings.Contains(d, domain.SourceFullRead) {
		t.Errorf("audit: %s", d)
	}
	if env.engine.PreviewFresh(time.Now().Add(-domain.DefaultPreviewReuse-time.Second)) || !env.engine.PreviewFresh(time.Now().Add(-time.Second)) {
		t.Error("PreviewFresh does not follow Settings.PreviewReuse")
	}
}

func auditDetail(t *testing.T, env *runEnv, id string) string {
	t.Helper()
	audit, err := env.engine.Audit(context.Background(), simGest, id)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range audit {
		if a.Action == domain.AuditLaunch {
			return a.Detail
		}
	}
	t.Fatalf("no launch in the audit of %s", id)
	return ""
}

// firstMail notes when the first attestation mail is handed to the mailer.
type firstMail struct {
	domain.Mailer
	once sync.Once
	at   chan time.Time
}

func (f *firstMail) Send(ctx context.Context, m domain.Mail) error {
	if m.Kind == domain.MailAttestation {
		f.once.Do(func() { f.at <- time.Now() })
	}
	return f.Mailer.Send(ctx, m)
}

// BenchmarkLaunchFromPreview1000Latency20ms previews then launches about 1,000
// students of the embedded Apogée whose every SOAP call takes 20 ms, with the
// production default of 8 calls in flight: SOAP calls per attestation (preview +
// launch) and the time from the confirmation (Launch) to the first mail, reusing a
// fresh preview or reading Apogée again (stale preview, the behaviour before).
func BenchmarkLaunchFromPreview1000Latency20ms(b *testing.B) {
	for _, fresh := range []bool{true, false} {
		name := "preview=stale"
		if fresh {
			name = "preview=fresh"
		}
		b.Run(name, func(b *testing.B) {
			var fm *firstMail
			env, s := newSimRunEnv(b, 15000, 20*time.Millisecond, func(st *domain.Settings, d *domain.Deps) {
				st.Concurrency = 8
				fm = &firstMail{Mailer: d.Mailer, at: make(chan time.Time, 1)}
				d.Mailer = fm
			})
			cp, err := s.CaseCampaign("admitted") // LMATH: the largest diploma of the demo data
			if err != nil {
				b.Fatal(err)
			}
			req := domain.PreviewRequest{Year: cp.Year, Component: cp.Component, VDI: cp.VDI}
			ctx := context.Background()
			var calls, attested, firstMS, students float64
			for i := 0; b.Loop(); i++ {
				before := simCalls(s)
				rows, err := env.engine.PreviewAll(ctx, simGest, req)
				if err != nil {
					b.Fatal(err)
				}
				at := time.Now()
				if !fresh {
					at = at.Add(-domain.DefaultPreviewReuse - time.Minute)
				}
				fm.once = sync.Once{}
				start := time.Now()
				c, err := env.engine.Launch(ctx, simGest, req, domain.LaunchOptions{IncludeServed: true,
					Preview: &domain.PreviewSnapshot{Request: req, Rows: rows, At: at}})
				if err != nil {
					b.Fatal(err)
				}
				first := <-fm.at
				done, err := env.engine.Wait(ctx, c.ID)
				if err != nil {
					b.Fatal(err)
				}
				_, n := callsSince(s, before)
				calls += float64(n)
				attested += float64(done.Counts[domain.EntryMailed])
				firstMS += float64(first.Sub(start).Milliseconds())
				students = float64(len(rows))
			}
			b.ReportMetric(calls/float64(b.N)/max(students, 1), "SOAP/student")
			b.ReportMetric(calls/max(attested, 1), "SOAP/mailed")
			b.ReportMetric(firstMS/float64(b.N), "ms-to-first-mail")
			b.ReportMetric(students, "students")
		})
	}
}
