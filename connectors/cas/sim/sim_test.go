package sim_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"hypercerts/connectors/cas/sim"
)

func TestR01_UsersFile(t *testing.T) {
	us, err := sim.LoadUsers("testdata/users.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(us) != 3 || us[0].ID != "DEMO" || !us[2].Locked {
		t.Fatalf("users %+v", us)
	}
	if got := us[1].Attributes["eduPersonAffiliation"]; len(got) != 2 || got[1] != "employee" {
		t.Fatalf("list attribute %q", got)
	}
	if got := us[1].Attributes["supannEmpId"]; len(got) != 1 || got[0] != "12345" {
		t.Fatalf("scalar attribute %q", got)
	}
	for name, bad := range map[string]string{
		"empty":         "users: []",
		"no id":         "users: [{password: x}]",
		"no password":   "users: [{id: a}]",
		"duplicate":     "users: [{id: a, password: x}, {id: a, password: y}]",
		"unknown key":   "users: [{id: a, password: x, pwd: y}]",
		"bad attribute": "users: [{id: a, password: x, attributes: {'a b': c}}]",
		"nested":        "users: [{id: a, password: x, attributes: {a: {b: c}}}]",
	} {
		if _, err := sim.ParseUsers([]byte(bad)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := sim.LoadUsers("testdata/absent.yaml"); err == nil {
		t.Error("missing file accepted")
	}
}

func TestR01_LoopbackOnly(t *testing.T) {
	s := sim.New(nil)
	s.Addr = "0.0.0.0:0"
	if _, err := s.Start(); err == nil {
		_ = s.Close()
		t.Fatal("listening beyond loopback")
	}
}

func TestR01_ProtocolDetails(t *testing.T) {
	s := sim.New([]sim.User{{ID: "a", Password: "b"}})
	base, err := s.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	// JSON body is not the REST protocol
	resp, err := http.Post(base+"/v1/tickets", "application/json", strings.NewReader(`{"username":"a"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnsupportedMediaType {
		t.Fatalf("json: %d", resp.StatusCode)
	}
	// missing password
	resp, err = http.PostForm(base+"/v1/tickets", url.Values{"username": {"a"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("missing password: %d", resp.StatusCode)
	}
	// unknown TGT
	resp, err = http.PostForm(base+"/v1/tickets/TGT-1-x-sim", url.Values{"service": {"s"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("unknown TGT: %d", resp.StatusCode)
	}
	// down then up on the same address
	if err := s.Down(); err != nil {
		t.Fatal(err)
	}
	if _, err := http.Get(base + "/p3/serviceValidate"); err == nil {
		t.Fatal("still answering while down")
	}
	if err := s.Up(); err != nil {
		t.Fatal(err)
	}
	if s.URL() != base {
		t.Fatalf("address changed: %s → %s", base, s.URL())
	}
	resp, err = http.Get(base + "/p3/serviceValidate?service=s&ticket=ST-1-x-sim")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("validate after Up: %d", resp.StatusCode)
	}
}
