package apogee

import (
	"context"
	"time"

	"hypercerts/domain"
)

// Adapter is the engine's Apogee port: web services for what they give, SQL for what
// they do not (rights, VDIs, graduating filter, delivery, official label, signature).
type Adapter struct {
	WS           *WS
	DB           *DB
	AbsentNature string // R04: nature code of "absence de diplôme"
	SignerCode   string // R16
	SignerKey    string // R16: decrypts the signature blob; never logged
	// QueryTimeout bounds each SQL query (apogee.db.query_timeout); 0: no bound.
	QueryTimeout time.Duration
}

// db gives the context of one SQL query, bounded by QueryTimeout. The DB's methods
// read their rows before returning, so the caller may cancel right after.
func (a *Adapter) db(ctx context.Context) (context.Context, context.CancelFunc) {
	if a.QueryTimeout <= 0 {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, a.QueryTimeout)
}

var (
	_ domain.Apogee             = (*Adapter)(nil)
	_ domain.HubEEStudentFinder = (*Adapter)(nil)
)

// StudentByINE lets HubEE requests that carry only the INE be answered.
func (a *Adapter) StudentByINE(ctx context.Context, ine string) (string, error) {
	ctx, cancel := a.db(ctx)
	defer cancel()
	return a.DB.StudentByINE(ctx, ine)
}

func (a *Adapter) OpenYears(ctx context.Context) ([]domain.Year, error) {
	ctx, cancel := a.db(ctx)
	defer cancel()
	return a.DB.OpenYears(ctx)
}

func (a *Adapter) Components(ctx context.Context, userCode string) ([]domain.Component, error) {
	ctx, cancel := a.db(ctx)
	defer cancel()
	return a.DB.Components(ctx, userCode)
}

func (a *Adapter) VDIs(ctx context.Context, year, component string) ([]domain.VDI, error) {
	ctx, cancel := a.db(ctx)
	defer cancel()
	return a.DB.VDIs(ctx, year, component, a.AbsentNature)
}

// VETs applies R05: the web service lists the VDI's VETs, SQL keeps the graduating ones.
func (a *Adapter) VETs(ctx context.Context, year string, vdi domain.VDI) ([]domain.VET, error) {
	all, err := a.WS.VETs(ctx, year, vdi)
	if err != nil {
		return nil, err
	}
	ctx, cancel := a.db(ctx)
	defer cancel()
	return a.DB.FilterGraduating(ctx, all)
}

func (a *Adapter) Students(ctx context.Context, year string, vdi domain.VDI, vet domain.VET) ([]domain.StudentRef, error) {
	return a.WS.Students(ctx, year, vdi, vet)
}

func (a *Adapter) Identity(ctx context.Context, studentCode string) (domain.Identity, error) {
	return a.WS.Identity(ctx, studentCode)
}

func (a *Adapter) AdminInfo(ctx context.Context, studentCode string) (domain.AdminInfo, error) {
	return a.WS.AdminInfo(ctx, studentCode)
}

func (a *Adapter) Contract(ctx context.Context, studentCode, year string, vdi domain.VDI) (*domain.Contract, error) {
	return a.WS.Contract(ctx, studentCode, year, vdi)
}

func (a *Adapter) DeliveryAuthorised(ctx context.Context, individualCode, year string, vdi domain.VDI) (bool, error) {
	ctx, cancel := a.db(ctx)
	defer cancel()
	return a.DB.DeliveryAuthorised(ctx, individualCode, year, vdi)
}

func (a *Adapter) OfficialLabel(ctx context.Context, year string, vdi domain.VDI) (string, error) {
	ctx, cancel := a.db(ctx)
	defer cancel()
	return a.DB.OfficialLabel(ctx, year, vdi)
}

func (a *Adapter) Signature(ctx context.Context) (domain.Signature, error) {
	ctx, cancel := a.db(ctx)
	defer cancel()
	return a.DB.Signature(ctx, a.SignerCode, a.SignerKey)
}
