package apogee

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"golang.org/x/text/encoding/charmap"

	"hypercerts/internal/testenv"
)

// sharedWSDL is AMUE's WSDL set, read in place (never copied into the project).
const sharedWSDL = "../../../shared/apogee/wsdl/apo-webservices-client-64030/wsdl"

// captured is one request the fake Apogée received.
type captured struct {
	Path, SOAPAction, ContentType string
	Body                          string
}

// fakeApogee is an HTTP server answering every request with status and body, and
// recording what it received.
type fakeApogee struct {
	srv    *httptest.Server
	mu     sync.Mutex
	reqs   []captured
	status int
	body   string
}

func newFakeApogee(t *testing.T, status int, body string) *fakeApogee {
	t.Helper()
	f := &fakeApogee{status: status, body: body}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.reqs = append(f.reqs, captured{Path: r.URL.Path, SOAPAction: r.Header.Get("SOAPAction"),
			ContentType: r.Header.Get("Content-Type"), Body: string(b)})
		status, body := f.status, f.body
		f.mu.Unlock()
		w.Header().Set("Content-Type", "text/xml; charset=utf-8")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeApogee) last(t *testing.T) captured {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.reqs) == 0 {
		t.Fatal("the fake Apogée received no request")
	}
	return f.reqs[len(f.reqs)-1]
}

// missing skips the test, or fails it in CI (internal/testenv): a missing tool or
// contract file is a failure there.
func missing(t *testing.T, format string, args ...any) {
	t.Helper()
	testenv.Missing(t, fmt.Sprintf(format, args...), "voir .ci/run")
}

// needTool returns the path of a Debian tool the test runs (package pkg).
func needTool(t *testing.T, name, pkg string) string {
	t.Helper()
	return testenv.Tool(t, name, pkg)
}

func newTestWS(t *testing.T, base string) *WS {
	t.Helper()
	w, err := NewWS(WSConfig{BaseURL: base})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// envelope wraps a response element the way Axis 1 does.
func envelope(ns, inner string) string {
	return `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" ` +
		`xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body>` +
		strings.ReplaceAll(inner, "NS", ns) + `</soapenv:Body></soapenv:Envelope>`
}

// apogeeFault is a fault as Apogée's Axis sends it, with a WebBaseException detail.
func apogeeFault(ns, domaine, typ, nature, element, msg string) string {
	code := domaine + "." + typ + "." + nature + "." + element
	return envelope(ns, `<soapenv:Fault><faultcode>soapenv:Server.userException</faultcode><faultstring>`+code+
		`</faultstring><detail><ns1:fault xmlns:ns1="NS"><domaine>`+domaine+`</domaine><element>`+element+
		`</element><messages><item>`+msg+`</item></messages><nature>`+nature+`</nature><type>`+typ+
		`</type><lastErrorMsg>`+msg+`</lastErrorMsg></ns1:fault><ns2:hostname xmlns:ns2="http://xml.apache.org/axis/">apogee</ns2:hostname></detail></soapenv:Fault>`)
}

var (
	wrapperRe  = regexp.MustCompile(`(?s)<apo:(\w+) .*</apo:\w+>`)
	schemaRe   = regexp.MustCompile(`(?s)<schema\b[^>]*>.*?</schema>`)
	rootTagRe  = regexp.MustCompile(`(?s)<wsdl:definitions\b[^>]*>`)
	xmlnsRe    = regexp.MustCompile(`xmlns:\w+="[^"]*"`)
	locationRe = regexp.MustCompile(`schemaLocation="([^"]*)"`)
	declRe     = regexp.MustCompile(`^<\?xml[^>]*\?>`)
)

// validateRequest checks the body wrapper element of a captured envelope against the
// schema of the abstract WSDL (and the XSDs it imports) with xmllint.
func validateRequest(t *testing.T, abstract string, body string) {
	t.Helper()
	if out, err := xsdCheck(t, abstract, body); err != nil {
		t.Fatalf("request does not validate against %s: %v\n%s\nrequest:\n%s", abstract, err, out, body)
	}
}

// xsdCheck runs xmllint on the wrapper element of body; it skips the test when the
// shared WSDL set or xmllint is missing.
func xsdCheck(t *testing.T, abstract string, body string) ([]byte, error) {
	t.Helper()
	dir, err := filepath.Abs(sharedWSDL)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); err != nil {
		missing(t, "no XSD validation: %s is absent (the shared WSDL set lives beside the repository)", dir)
	}
	xmllint := needTool(t, "xmllint", "libxml2-utils")
	raw, err := os.ReadFile(filepath.Join(dir, "abstract", abstract))
	if err != nil {
		t.Fatal(err)
	}
	utf, err := charmap.ISO8859_15.NewDecoder().Bytes(raw)
	if err != nil {
		t.Fatal(err)
	}
	src := declRe.ReplaceAllString(strings.TrimSpace(string(utf)), "")
	schema := schemaRe.FindString(src)
	root := rootTagRe.FindString(src)
	if schema == "" || root == "" {
		t.Fatalf("no schema found in %s", abstract)
	}
	open := schema[:strings.Index(schema, ">")]
	var decls []string
	for _, d := range xmlnsRe.FindAllString(root, -1) {
		if !strings.Contains(open, strings.SplitN(d, "=", 2)[0]+"=") {
			decls = append(decls, d)
		}
	}
	schema = strings.Replace(schema, "<schema", "<schema "+strings.Join(decls, " "), 1)
	schema = locationRe.ReplaceAllStringFunc(schema, func(m string) string {
		loc := locationRe.FindStringSubmatch(m)[1]
		return `schemaLocation="` + filepath.ToSlash(filepath.Join(dir, "abstract", loc)) + `"`
	})
	tmp := t.TempDir()
	xsdPath := filepath.Join(tmp, "service.xsd")
	if err := os.WriteFile(xsdPath, []byte(`<?xml version="1.0" encoding="UTF-8"?>`+"\n"+schema), 0o600); err != nil {
		t.Fatal(err)
	}
	wrapper := wrapperRe.FindString(body)
	if wrapper == "" {
		t.Fatalf("no prefixed wrapper element in the request:\n%s", body)
	}
	docPath := filepath.Join(tmp, "request.xml")
	if err := os.WriteFile(docPath, []byte(wrapper), 0o600); err != nil {
		t.Fatal(err)
	}
	return exec.Command(xmllint, "--noout", "--nonet", "--schema", xsdPath, docPath).CombinedOutput()
}

// rawCall posts a SOAP 1.1 envelope around wrapper and returns the answer's body,
// whatever its status.
func rawCall(t *testing.T, url, wrapper string) string {
	t.Helper()
	env := `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>` +
		wrapper + `</soapenv:Body></soapenv:Envelope>`
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(env))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "text/xml; charset=utf-8")
	req.Header.Set("SOAPAction", `""`)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func writeFile0600(path string, b []byte) error { return os.WriteFile(path, b, 0o600) }

func runCmd(name string, args ...string) ([]byte, error) {
	return exec.Command(name, args...).CombinedOutput()
}
