package wiring

import (
	"testing"
	"time"

	"hypercerts/config"
	"hypercerts/connectors/apogee"
	"hypercerts/connectors/hubee"
	"hypercerts/version"
)

// Each configuration key reaches its connector setting, with the documented defaults
// (docs/config.md) where the key is empty.
func TestConfigurationReachesEachConnector(t *testing.T) {
	cfg := config.Default()
	cfg.Digiposte.SenderID = "UNIVTEST"
	cfg.Digiposte.SFTP.Host, cfg.Digiposte.SFTP.User = "sftp.digiposte.test", "univ"
	cfg.Digiposte.Remote.DepositDir = "in/depots"
	cfg.HubEE.Environment, cfg.HubEE.Retries = config.HubEEPreprod, 5
	cfg.Delivery.TestMode, cfg.Delivery.TestRecipient = true, "test@univ.fr"
	cfg.Apogee.Concurrency = 6

	ws := ApogeeWS(cfg, "https://apogee.test/apo")
	if ws.BaseURL != "https://apogee.test/apo" || ws.Timeout != cfg.Apogee.WS.Timeout || len(ws.Services) != len(apogee.Services) {
		t.Errorf("web services: %+v", ws)
	}
	for _, s := range apogee.Services {
		if ws.Services[s] != apogee.DefaultServices()[s] {
			t.Errorf("%s: %+v, want Apogée 6.40.30's %+v", s, ws.Services[s], apogee.DefaultServices()[s])
		}
		if ServiceKey(s) == "apogee.ws.services." {
			t.Errorf("no configuration key for %s", s)
		}
	}

	dc, err := Digiposte(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if dc.Addr != "sftp.digiposte.test:22" || dc.User != "univ" || dc.Format.Partner != "UNIVTEST" ||
		dc.Format.DepositDir != "in/depots" || dc.Format.AdhesionDir != cfg.Digiposte.Remote.AdhesionDir {
		t.Errorf("Digiposte: %+v", dc)
	}

	hc := HubEE(cfg, map[string]hubee.Credentials{"P": {ClientID: "id"}})
	token, api := cfg.HubEE.HubEEURLs()
	if hc.TokenURL != token || hc.BaseURL != api || hc.Scope != hubee.ScopeSI || hc.MaxAttempts != 5 ||
		hc.SoftwareVersion != version.Get().Version || hc.CallTimeout <= 0 {
		t.Errorf("HubEE: %+v", hc)
	}
	cfg.HubEE.Timeout = 7 * time.Second
	if hc = HubEE(cfg, nil); hc.CallTimeout != 7*time.Second {
		t.Errorf("hubee.timeout: %v", hc.CallTimeout)
	}

	sc, err := SMTP(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if sc.MaxConns != 6 || sc.TestRecipient != "test@univ.fr" || sc.DisableChunking {
		t.Errorf("SMTP: %d connections, test recipient %q, BDAT off %v", sc.MaxConns, sc.TestRecipient, sc.DisableChunking)
	}
	cfg.Mail.SMTP.Chunking = false // mail.smtp.chunking: false
	if sc, err = SMTP(cfg); err != nil || !sc.DisableChunking {
		t.Errorf("mail.smtp.chunking false: BDAT still on (%v)", err)
	}
}
