package hubee

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzHubEEErrorBody: an error answer of any content becomes an *APIError with its
// status, never a panic.
func FuzzHubEEErrorBody(f *testing.F) {
	for _, seed := range []string{
		`{"errors":[{"code":4001,"message":"Le dossier n'existe pas"}]}`,
		`{"errors":[]}`,
		`{"errors":[{"code":"x"}]}`,
		`<html>502</html>`,
		``,
		strings.Repeat("[", 10000),
	} {
		f.Add(seed, 404)
	}
	f.Fuzz(func(t *testing.T, body string, status int) {
		if status < 100 || status > 599 {
			return
		}
		req := httptest.NewRequest(http.MethodGet, "/teledossiers/v1/cases/1", nil)
		resp := &http.Response{StatusCode: status, Header: http.Header{"Retry-After": {body}}, Body: io.NopCloser(strings.NewReader(body))}
		e := apiError("getCaseById", req, resp)
		if e == nil || e.Status != status || e.Error() == "" {
			t.Fatalf("apiError = %+v", e)
		}
	})
}

// FuzzHubEEContentRange: the Content-Range of an attachment download, whatever its
// form, gives a known range only when it is coherent.
func FuzzHubEEContentRange(f *testing.F) {
	for _, seed := range []string{"bytes 0-1023/4096", "bytes 0-0/1", "bytes */4096", "bytes 10-5/4", "", "octets 1-2/3", "bytes -1--2/-3"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, h string) {
		r := ParseContentRange(h)
		if r.Known && (r.First < 0 || r.Last < r.First || r.Last >= r.Total) {
			t.Fatalf("%q gives an incoherent known range %+v", h, r)
		}
	})
}
