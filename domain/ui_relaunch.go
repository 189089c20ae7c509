package domain

// Relaunchable reports whether Relaunch would work this entry again (R07): not
// delivered and not excluded. The UI counts them for its confirmation.
func (s EntryState) Relaunchable() bool { return relaunchable(s) }
