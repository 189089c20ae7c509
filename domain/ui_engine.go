package domain

// What the terminal UI asks about the engine's wiring: whether HubEE is configured, and (for the UI's tests) the
// connectors the engine was built with. Read-only: nothing here changes the engine.

// HubEEConfigured reports whether a HubEE hub is wired (section hubee of the
// configuration).
func (e *Engine) HubEEConfigured() bool { return e.hub != nil }

// Deps returns the connectors the engine was wired with, so that a test can build
// another engine over the same ones (e.g. with a fixed clock).
func (e *Engine) Deps() Deps {
	return Deps{Apogee: e.apogee, Store: e.store, Renderer: e.renderer, Mailer: e.mailer, Vault: e.vault, Printer: e.printer,
		Hub: e.hub, Clock: e.clock, Log: e.log}
}
