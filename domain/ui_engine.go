package domain

// What the terminal UI asks about the engine's wiring: which delivery modes a campaign
// can be launched in, whether HubEE is configured, and (for the UI's tests) the
// connectors the engine was built with. Read-only: nothing here changes the engine.

// DeliveryModes lists the modes a campaign can be launched in, the configured one
// (Settings().Mode) first: mail when a PDF renderer and a mailer are wired, Digiposte
// when a vault is.
func (e *Engine) DeliveryModes() []Mode {
	can := map[Mode]bool{
		ModeMail:      e.renderer != nil && e.mailer != nil,
		ModeDigiposte: e.vault != nil && e.renderer != nil,
	}
	var modes []Mode
	if can[e.settings.Mode] {
		modes = append(modes, e.settings.Mode)
	}
	for _, m := range []Mode{ModeMail, ModeDigiposte} {
		if can[m] && m != e.settings.Mode {
			modes = append(modes, m)
		}
	}
	return modes
}

// HubEEConfigured reports whether a HubEE hub is wired (section hubee of the
// configuration).
func (e *Engine) HubEEConfigured() bool { return e.hub != nil }

// Deps returns the connectors the engine was wired with, so that a test can build
// another engine over the same ones (e.g. with a fixed clock).
func (e *Engine) Deps() Deps {
	return Deps{Apogee: e.apogee, Store: e.store, Renderer: e.renderer, Mailer: e.mailer, Vault: e.vault,
		Hub: e.hub, Clock: e.clock, Log: e.log}
}
