package domain

import (
	"context"
	"io"
	"time"
)

// VaultStudent is one student whose vault opening (adhésion) is requested (R19).
type VaultStudent struct {
	Code       string // cod_etu: the key every later status and deposit refers to
	INE        string
	LastName   string
	FirstNames string // "Marie Hélène"
	Email      string
	BirthDate  time.Time
}

// VaultStatus is the last known state of one student's vault, as the vault reports it.
type VaultStatus struct {
	StudentCode string
	// State is EntryVaultOpen, EntryVaultRefused or EntryCancelled (résilié, final: R21).
	State  EntryState
	At     time.Time // when the vault says it happened; zero when it does not say
	Reason string    // the vault's reason, for refusals and cancellations
}

// VaultReturn is one batch of statuses as the vault delivered it (one return file).
type VaultReturn struct {
	// ID is opaque; give it to Acknowledge once the statuses are stored.
	ID       string
	Statuses []VaultStatus
	// Err, when set, says what could not be read in this return. Statuses holds the
	// rows that could: apply them, but do not acknowledge the return; it is reported
	// again at each sync until someone fixes it.
	Err error
}

// Deposit is one document for one student's vault (R20).
type Deposit struct {
	StudentCode string
	FileName    string // base name of the PDF, e.g. "attestation-2024-12345678.pdf"
	Title       string // shown in the vault; optional
	// PDF writes the document. It is called once per Deposit call, while the batch is
	// being sent, so a batch is never held in memory. An error aborts the whole drop.
	PDF func(w io.Writer) error
}

// Vault is the Digiposte port (R19–R22): three file exchanges with the vault operator.
//
// Every method is idempotent, so a cycle can record each step in the store before the
// next and simply redo, after a crash, the step it had not recorded:
//   - RequestAdhesions and Deposit drop one batch under a name derived from batchID: the
//     same batchID gives the same remote name, and a batch already dropped in full is a
//     no-op (nothing is sent twice). A drop is atomic: the vault never sees half a batch.
//   - Returns reads what the vault reported; nothing changes until Acknowledge, so a
//     crash between the two only means reading the same statuses again.
//   - Acknowledge on a return already acknowledged is a no-op.
//
// Failures are *ExternalError: ErrTransient (server down, connection cut, disk full:
// retry at the next cycle), ErrPermanent (refused host key, authentication, permission:
// an operator must act), ErrInvalid (bad batchID, duplicate students or file names).
// A Deposit.PDF error aborts the drop and comes back wrapped as it is (errors.Is works).
type Vault interface {
	// RequestAdhesions asks the vault operator to open vaults for these students.
	RequestAdhesions(ctx context.Context, batchID string, students []VaultStudent) error
	// Returns lists the status returns not yet acknowledged, oldest first.
	Returns(ctx context.Context) ([]VaultReturn, error)
	// Acknowledge tells the vault these returns are stored and must not be read again.
	Acknowledge(ctx context.Context, returnIDs []string) error
	// Deposit sends documents into open vaults, as one batch.
	Deposit(ctx context.Context, batchID string, deposits []Deposit) error
}
