package config

import (
	"strings"
	"testing"
	"time"

	"hypercerts/domain"
)

func TestDeliveryPreviewReuse_DefaultZeroAndRange(t *testing.T) {
	c := Default()
	if c.Delivery.PreviewReuse != 15*time.Minute || c.EngineSettings().PreviewReuse != domain.DefaultPreviewReuse {
		t.Errorf("default preview_reuse = %v, engine %v", c.Delivery.PreviewReuse, c.EngineSettings().PreviewReuse)
	}
	c.Delivery.PreviewReuse = 0
	if got := c.EngineSettings().PreviewReuse; got >= 0 {
		t.Errorf("preview_reuse 0s gives the engine %v, want negative (never reuse)", got)
	}
	if p := problem(t, mustFail(t, "delivery:\n  preview_reuse: -5m\n"), "delivery.preview_reuse"); p.Line != 2 {
		t.Errorf("-5m: %+v", p)
	}
	verr := mustFail(t, "delivery:\n  preview_reuse: 25h\n")
	if p := problem(t, verr, "delivery.preview_reuse"); !strings.Contains(p.Message, "entre 0s (jamais) et 24h") || p.Line != 2 {
		t.Errorf("25h: %+v", p)
	}
}
