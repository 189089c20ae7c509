package domain

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// AuditRevoke is the audit action of a revocation.
const AuditRevoke = "révocation"

// ErrAlreadyRevoked: the registry holds a revocation of that reference already.
var ErrAlreadyRevoked = errors.New("attestation déjà révoquée")

// MaxRevocationReason bounds a revocation's reason (runes): it is shown on the public
// verification page, one line (the UI's field takes as many).
const MaxRevocationReason = 300

// IssuedAttestation is what the store keeps of an attestation produced outside a
// campaign (the render command, a HubEE request), so that its reference can be found
// and revoked. Campaign attestations are found through their entries.
type IssuedAttestation struct {
	Reference   string
	CampaignID  string // empty for a single attestation
	Year        string
	VDI         VDI
	StudentCode string
	StudentName string
	IssuedAt    time.Time
}

// AttestationRegistry is the part of the store that keeps single attestations and
// revocations. The bbolt store implements it; an engine without it (preview-only use)
// cannot revoke.
type AttestationRegistry interface {
	RecordAttestation(a IssuedAttestation) error
	// IssuedAttestation reads a single attestation; ErrNotFound if absent.
	IssuedAttestation(ref string) (IssuedAttestation, error)
	// Revoke records r and, when audit is not nil, appends audit to the audit log of
	// r.CampaignID, in one transaction: both are written or neither, so a crash or a
	// store error never leaves a revocation unaudited. ErrAlreadyRevoked (nothing
	// written) if r.Reference was revoked already: checked and written at once, two
	// managers revoking together get one revocation and one audit record.
	Revoke(r Revocation, audit *AuditRecord) error
	// Revocation reads the revocation of ref; ErrNotFound if it was not revoked.
	Revocation(ref string) (Revocation, error)
}

// AttestationInfo is what `attestation show` prints.
type AttestationInfo struct {
	IssuedAttestation
	Entry      *Entry    // the campaign entry, nil for a single attestation
	Campaign   *Campaign // nil for a single attestation
	Revocation *Revocation
}

var errNoRegistry = errors.New("la base ne garde pas les attestations (ouverte sans base ?)")

func (e *Engine) registry() (AttestationRegistry, error) {
	r, ok := e.store.(AttestationRegistry)
	if !ok || e.store == nil {
		return nil, errNoRegistry
	}
	return r, nil
}

// recordSingle keeps a single attestation in the registry when the engine has one.
func (e *Engine) recordSingle(a IssuedAttestation) error {
	r, ok := e.store.(AttestationRegistry)
	if !ok || e.store == nil {
		return nil // the render command beside a daemon: nothing to record into
	}
	return r.RecordAttestation(a)
}

// Revoked says whether ref was revoked, for the verification page and `verify`.
// It needs no user: it says nothing but the revocation of a reference the asker holds.
func (e *Engine) Revoked(ref string) (*Revocation, error) {
	reg, err := e.registry()
	if err != nil {
		return nil, err
	}
	r, err := reg.Revocation(ref)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &r, nil
}

// FindAttestation looks a reference up among single attestations and campaign entries
// the user may see (R02).
func (e *Engine) FindAttestation(ctx context.Context, user User, reference string) (AttestationInfo, error) {
	ref, err := ParseReference(reference)
	if err != nil {
		return AttestationInfo{}, err
	}
	reg, err := e.registry()
	if err != nil {
		return AttestationInfo{}, err
	}
	comps, err := e.requireAnyRight(ctx, user) // a user without rights learns nothing
	if err != nil {
		return AttestationInfo{}, err
	}
	info, err := e.findAttestation(reg, ref)
	if err != nil {
		return AttestationInfo{}, err
	}
	if info.Campaign != nil {
		if _, err := e.requireComponent(ctx, user, info.Campaign.Component.Code); err != nil {
			return AttestationInfo{}, err
		}
	} else if !e.offersVDI(ctx, user, comps, info.Year, info.VDI) {
		return AttestationInfo{}, Forbidden(user, "la VDI "+info.VDI.Key())
	}
	if r, err := reg.Revocation(ref); err == nil {
		info.Revocation = &r
	} else if !errors.Is(err, ErrNotFound) {
		return AttestationInfo{}, err
	}
	return info, nil
}

func (e *Engine) findAttestation(reg AttestationRegistry, ref string) (AttestationInfo, error) {
	if a, err := reg.IssuedAttestation(ref); err == nil {
		return AttestationInfo{IssuedAttestation: a}, nil
	} else if !errors.Is(err, ErrNotFound) {
		return AttestationInfo{}, err
	}
	// Campaign attestations: a reference names one campaign and one student; the
	// entries say which (a few campaigns a year, a scan is enough for a manager's look-up).
	camps, err := e.store.Campaigns()
	if err != nil {
		return AttestationInfo{}, err
	}
	for i := range camps {
		c := camps[i]
		entries, err := e.store.Entries(c.ID)
		if err != nil {
			return AttestationInfo{}, err
		}
		for j := range entries {
			en := entries[j]
			if en.Reference != ref {
				continue
			}
			return AttestationInfo{IssuedAttestation: IssuedAttestation{Reference: ref, CampaignID: c.ID, Year: c.Year, VDI: c.VDI,
				StudentCode: en.Student.Code, StudentName: en.Student.FullName(), IssuedAt: en.UpdatedAt},
				Entry: &en, Campaign: &c}, nil
		}
	}
	return AttestationInfo{}, fmt.Errorf("attestation %s : %w", ref, ErrNotFound)
}

// offersVDI tells whether the VDI is offered in one of the user's components (R02).
func (e *Engine) offersVDI(ctx context.Context, user User, comps []Component, year string, vdi VDI) bool {
	for _, c := range comps {
		vdis, err := call(ctx, e, func() ([]VDI, error) { return e.apogee.VDIs(ctx, year, c.Code) })
		if err != nil {
			continue
		}
		for _, v := range vdis {
			if v.Dip == vdi.Dip && v.Version == vdi.Version {
				return true
			}
		}
	}
	return false
}

// RevokeAttestation revokes an attestation the user may manage (R02), with a reason,
// and records it in the campaign's audit log in the same store write: both are done or
// neither. A revocation is final: revoking again with the same reason changes nothing
// and returns the first revocation with Repeated set (a script run twice succeeds, the
// audit log gets one entry); with another reason it is an ErrInvalid error that names
// the first one.
func (e *Engine) RevokeAttestation(ctx context.Context, user User, reference, reason string) (Revocation, error) {
	reason = strings.TrimSpace(reason)
	if err := checkReason(reason); err != nil {
		return Revocation{}, err
	}
	info, err := e.FindAttestation(ctx, user, reference)
	if err != nil {
		return Revocation{}, err
	}
	if info.Revocation != nil {
		return repeated(*info.Revocation, reason)
	}
	reg, _ := e.registry()
	r := Revocation{Reference: info.Reference, At: e.clock.Now(), By: user.Code, Reason: reason,
		CampaignID: info.CampaignID, StudentCode: info.StudentCode}
	var audit *AuditRecord // single attestations have no campaign, hence no audit log
	if info.CampaignID != "" {
		audit = &AuditRecord{At: r.At, User: user.Code, Action: AuditRevoke,
			Detail: info.Reference + " (étudiant " + info.StudentCode + ") : " + reason}
	}
	if err := reg.Revoke(r, audit); errors.Is(err, ErrAlreadyRevoked) { // another manager, just now
		first, rerr := reg.Revocation(info.Reference)
		if rerr != nil {
			return Revocation{}, rerr
		}
		return repeated(first, reason)
	} else if err != nil {
		return Revocation{}, err
	}
	e.log.Info("attestation révoquée", "référence", r.Reference, "utilisateur", r.By)
	return r, nil
}

// repeated answers a revocation asked again: the same reason is the same act, done.
func repeated(first Revocation, reason string) (Revocation, error) {
	if first.Reason == reason {
		first.Repeated = true
		return first, nil
	}
	return first, Invalid("l'attestation %s est déjà %s ; une révocation est définitive", first.Reference, first)
}

// checkReason: a reason is required, one line (it is shown on the public page) and
// at most MaxRevocationReason characters.
func checkReason(reason string) error {
	switch {
	case reason == "":
		return Invalid("le motif de la révocation est obligatoire")
	case utf8.RuneCountInString(reason) > MaxRevocationReason:
		return Invalid("motif de révocation trop long : %d caractères au plus (il est affiché sur la page de vérification)", MaxRevocationReason)
	case !utf8.ValidString(reason) || strings.IndexFunc(reason, unicode.IsControl) >= 0:
		return Invalid("motif de révocation sur une seule ligne, sans caractère de contrôle")
	}
	return nil
}
