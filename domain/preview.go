package domain

import (
	"context"
	"errors"
	"sort"
	"strings"
	"sync"
)

// PreviewRequest names the campaign being previewed (R03).
type PreviewRequest struct {
	Year      string
	Component string
	VDI       VDI
	VETs      []VET // empty: every graduating VET of the VDI
	// Mode is how the attestations would be delivered (empty: Settings.Mode): in mail
	// mode a student without an e-mail address cannot be served.
	Mode Mode
}

// PreviewEvent is one step of a streamed preview: first the Total (with the resolved
// VDI and VETs), then one Row per student, then Done (with Err if it stopped early).
type PreviewEvent struct {
	Total int
	VDI   VDI
	VETs  []VET
	Row   *Row
	Done  bool
	Err   error
}

// Preview checks the request against the user's rights and Apogée, then streams one row
// per student as they are assessed, with at most Settings.Concurrency students being
// read from Apogée at once. A request error is returned at once; later errors come as
// the Done event's Err. The channel is closed after Done. Cancelling ctx stops the work.
func (e *Engine) Preview(ctx context.Context, user User, req PreviewRequest) (<-chan PreviewEvent, error) {
	vdi, vets, err := e.resolve(ctx, user, req)
	if err != nil {
		return nil, err
	}
	out := make(chan PreviewEvent, e.settings.Concurrency)
	go func() {
		defer close(out)
		refs, err := e.listStudents(ctx, req.Year, vdi, vets)
		if err != nil {
			out <- PreviewEvent{Done: true, Err: err}
			return
		}
		send := func(ev PreviewEvent) bool {
			select {
			case out <- ev:
				return true
			case <-ctx.Done():
				return false
			}
		}
		if !send(PreviewEvent{Total: len(refs), VDI: vdi, VETs: vets}) {
			return
		}
		rows := make(chan Row)
		go func() {
			e.assessAll(ctx, req.Year, vdi, e.modeOf(req), refs, rows)
			close(rows)
		}()
		for r := range rows {
			r := r
			if !send(PreviewEvent{Row: &r}) {
				for range rows { // let the workers finish
				}
				return
			}
		}
		send(PreviewEvent{Done: true, Err: ctx.Err()})
	}()
	return out, nil
}

// PreviewAll runs Preview to the end and returns the rows sorted by name.
func (e *Engine) PreviewAll(ctx context.Context, user User, req PreviewRequest) ([]Row, error) {
	events, err := e.Preview(ctx, user, req)
	if err != nil {
		return nil, err
	}
	var rows []Row
	for ev := range events {
		if ev.Row != nil {
			rows = append(rows, *ev.Row)
		}
		if ev.Done && ev.Err != nil {
			return rows, ev.Err
		}
	}
	SortRows(rows)
	return rows, nil
}

// SortRows orders rows by last name, first names, then student code.
func SortRows(rows []Row) {
	sort.Slice(rows, func(i, j int) bool {
		a, b := rows[i].Student, rows[j].Student
		if x, y := strings.ToUpper(a.LastName), strings.ToUpper(b.LastName); x != y {
			return x < y
		}
		if a.FirstNames() != b.FirstNames() {
			return a.FirstNames() < b.FirstNames()
		}
		return a.Code < b.Code
	})
}

// resolve checks rights, year and VDI, and resolves the VETs (R03–R05).
func (e *Engine) resolve(ctx context.Context, user User, req PreviewRequest) (VDI, []VET, error) {
	vdi, err := e.requireVDI(ctx, user, req.Year, req.Component, req.VDI)
	if err != nil {
		return VDI{}, nil, err
	}
	graduating, err := call(ctx, e, func() ([]VET, error) { return e.apogee.VETs(ctx, req.Year, vdi) })
	if err != nil {
		return VDI{}, nil, err
	}
	if len(req.VETs) == 0 {
		if len(graduating) == 0 {
			return VDI{}, nil, Invalid("la VDI %s n'a aucune VET diplômante en %s", vdi.Key(), req.Year)
		}
		return vdi, graduating, nil
	}
	var vets []VET
	for _, want := range req.VETs {
		found := false
		for _, g := range graduating {
			if g.Etape == want.Etape && g.Version == want.Version {
				vets, found = append(vets, g), true
				break
			}
		}
		if !found {
			return VDI{}, nil, Invalid("la VET %s n'est pas une VET diplômante de la VDI %s en %s", want.Key(), vdi.Key(), req.Year)
		}
	}
	return vdi, vets, nil
}

// studentInVETs is a student listed once whatever the number of VETs (R06).
type studentInVETs struct {
	StudentRef
	vets []string
}

func (e *Engine) listStudents(ctx context.Context, year string, vdi VDI, vets []VET) ([]studentInVETs, error) {
	index := map[string]int{}
	var refs []studentInVETs
	for _, vet := range vets {
		list, err := call(ctx, e, func() ([]StudentRef, error) { return e.apogee.Students(ctx, year, vdi, vet) })
		if err != nil {
			return nil, err
		}
		for _, s := range list {
			if i, ok := index[s.Code]; ok {
				refs[i].vets = append(refs[i].vets, vet.Key())
				continue
			}
			index[s.Code] = len(refs)
			refs = append(refs, studentInVETs{StudentRef: s, vets: []string{vet.Key()}})
		}
	}
	return refs, nil
}

// assessAll assesses every student with Settings.Concurrency workers.
func (e *Engine) assessAll(ctx context.Context, year string, vdi VDI, mode Mode, refs []studentInVETs, out chan<- Row) {
	jobs := make(chan studentInVETs)
	var wg sync.WaitGroup
	for range min(e.settings.Concurrency, max(len(refs), 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ref := range jobs {
				out <- e.assess(ctx, year, vdi, mode, ref)
			}
		}()
	}
	for _, r := range refs {
		if ctx.Err() != nil {
			break
		}
		jobs <- r
	}
	close(jobs)
	wg.Wait()
}

// assess reads one student from Apogée and applies the rules (R08–R15, R18).
func (e *Engine) assess(ctx context.Context, year string, vdi VDI, mode Mode, ref studentInVETs) Row {
	row := Row{Student: Student{Code: ref.Code, LastName: ref.LastName, FirstName1: ref.FirstName}, VETs: ref.vets, Session: -1}
	fail := func(err error) Row {
		row.Err = err.Error()
		row.Reasons = append(row.Reasons, "lecture Apogée impossible : "+err.Error())
		return row
	}
	id, err := call(ctx, e, func() (Identity, error) { return e.apogee.Identity(ctx, ref.Code) })
	if err != nil {
		return fail(err)
	}
	adm, err := call(ctx, e, func() (AdminInfo, error) { return e.apogee.AdminInfo(ctx, ref.Code) })
	if err != nil {
		return fail(err)
	}
	row.Student = Student{Code: ref.Code, IndividualCode: id.IndividualCode, INE: id.INE, Email: id.Email,
		LastName: firstNonEmpty(adm.LastName, ref.LastName), FirstName1: firstNonEmpty(adm.FirstName1, ref.FirstName),
		FirstName2: adm.FirstName2, BirthDate: adm.BirthDate, BirthPlace: adm.BirthPlace, Sex: adm.Sex}
	row.Blockings = adm.Blockings

	contract, err := call(ctx, e, func() (*Contract, error) { return e.apogee.Contract(ctx, ref.Code, year, vdi) })
	if err != nil && !errors.Is(err, ErrNotFound) {
		return fail(err)
	}
	var verdict Verdict
	if contract != nil {
		verdict, _ = DecideVerdict(contract.Results)
	}
	if verdict == Admitted {
		row.Delivery, err = call(ctx, e, func() (bool, error) {
			return e.apogee.DeliveryAuthorised(ctx, id.IndividualCode, year, vdi)
		})
		if err != nil {
			return fail(err)
		}
	}
	a := Assess(contract, row.Delivery, adm.Blockings)
	row.Verdict, row.Eligible, row.Reasons = a.Verdict, a.Eligible, a.Reasons
	if a.Deciding != nil {
		row.Session, row.Result = a.Deciding.Session, a.Deciding.ResultCode
		if a.Verdict == Admitted { // R14
			row.Mention, row.ECTS = a.Deciding.Mention, a.Deciding.ECTS
		}
	}
	row.RuleEligible = a.Eligible
	row = ForMode(row, mode) // the one eligibility computation (eligibility.go)
	if row.Student.Email != "" {
		row.Recipient, row.RealRecipient = Recipient(row.Student.Email, e.settings.TestMode, e.settings.TestRecipient)
	}
	return row
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// modeOf is the delivery mode a request is assessed for.
func (e *Engine) modeOf(req PreviewRequest) Mode {
	if req.Mode != "" {
		return req.Mode
	}
	return e.settings.Mode
}
