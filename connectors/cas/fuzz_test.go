package cas_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"hypercerts/connectors/cas"
)

// FuzzCASServiceResponse: whatever a CAS (or something posing as one) answers to
// serviceValidate, Validate gives an identity with a user or an error, never a panic.
func FuzzCASServiceResponse(f *testing.F) {
	for _, seed := range []string{
		`<cas:serviceResponse xmlns:cas="http://www.yale.edu/tp/cas"><cas:authenticationSuccess><cas:user>gest1</cas:user><cas:attributes><cas:mail>g@univ.fr</cas:mail></cas:attributes></cas:authenticationSuccess></cas:serviceResponse>`,
		`<cas:serviceResponse xmlns:cas="http://www.yale.edu/tp/cas"><cas:authenticationFailure code="INVALID_TICKET">Ticket ST-1 not recognized</cas:authenticationFailure></cas:serviceResponse>`,
		`<cas:serviceResponse xmlns:cas="http://www.yale.edu/tp/cas"><cas:authenticationSuccess><cas:user> </cas:user></cas:authenticationSuccess></cas:serviceResponse>`,
		`<html>maintenance</html>`,
		``,
		`<cas:serviceResponse xmlns:cas="http://www.yale.edu/tp/cas"><cas:authenticationSuccess><cas:user>a</cas:user><cas:attributes><cas:x><cas:y>z</cas:y></cas:x></cas:attributes>`,
	} {
		f.Add(seed)
	}
	var body string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/xml")
		w.Write([]byte(body))
	}))
	f.Cleanup(srv.Close)
	c, err := cas.New(cas.Config{URL: srv.URL, Service: "https://hypercerts.univ.fr"})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, answer string) {
		body = answer // the fuzz function runs one input at a time
		id, err := c.Validate(context.Background(), "ST-1")
		if err == nil && id.User == "" {
			t.Fatalf("identity without a user from %q", answer)
		}
	})
}
