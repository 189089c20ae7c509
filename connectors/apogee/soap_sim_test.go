package apogee

import (
	"context"
	"errors"
	"net/http/httptest"
	"strconv"
	"testing"

	"hypercerts/connectors/apogee/sim"
	"hypercerts/domain"
)

// TestWS_AgainstSimulator runs the client over real HTTP against the embedded Apogée:
// what one side writes, the other reads, with the same default paths and namespaces.
func TestWS_AgainstSimulator(t *testing.T) {
	a, err := sim.Open(sim.Options{Seed: 7, Students: 60})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.Close() })
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(srv.Close)
	w := newTestWS(t, srv.URL)
	ctx := context.Background()

	var (
		year, etp, dip, nne, cle, lastName string
		ind, etu, vrsVet, vrsVdi           int
	)
	row := a.DB().QueryRowContext(ctx, `SELECT i.COD_ANU, i.COD_ETP, i.COD_VRS_VET, i.COD_DIP, i.COD_VRS_VDI,
		n.COD_IND, n.COD_ETU, COALESCE(n.COD_NNE_IND, ''), COALESCE(n.COD_CLE_NNE_IND, ''), COALESCE(n.LIB_NOM_PAT_IND, '')
		FROM INS_ADM_ETP i JOIN INDIVIDU n ON n.COD_IND = i.COD_IND
		WHERE i.ETA_IAE = 'E' ORDER BY i.COD_ANU DESC, n.COD_ETU LIMIT 1`)
	if err := row.Scan(&year, &etp, &vrsVet, &dip, &vrsVdi, &ind, &etu, &nne, &cle, &lastName); err != nil {
		t.Fatalf("no registered student in the simulator: %v", err)
	}
	vdi := domain.VDI{Dip: dip, Version: strconv.Itoa(vrsVdi)}
	vet := domain.VET{Etape: etp, Version: strconv.Itoa(vrsVet)}
	code := strconv.Itoa(etu)

	vets, err := w.VETs(ctx, year, vdi)
	if err != nil {
		t.Fatalf("VETs: %v", err)
	}
	found := false
	for _, v := range vets {
		found = found || v.Key() == vet.Key()
	}
	if !found {
		t.Errorf("VETs(%s, %s) = %+v, lacks %s", year, vdi.Key(), vets, vet.Key())
	}

	students, err := w.Students(ctx, year, vdi, vet)
	if err != nil {
		t.Fatalf("Students: %v", err)
	}
	found = false
	for _, s := range students {
		found = found || s.Code == code
	}
	if !found {
		t.Errorf("Students(%s, %s) lacks %s: %+v", year, vet.Key(), code, students)
	}

	id, err := w.Identity(ctx, code)
	if err != nil {
		t.Fatalf("Identity: %v", err)
	}
	if id.Code != code || id.IndividualCode != strconv.Itoa(ind) || id.INE != nne+cle {
		t.Errorf("Identity = %+v, want code %s, cod_ind %d, INE %s", id, code, ind, nne+cle)
	}

	info, err := w.AdminInfo(ctx, code)
	if err != nil {
		t.Fatalf("AdminInfo: %v", err)
	}
	if info.LastName != lastName {
		t.Errorf("AdminInfo last name = %q, want %q", info.LastName, lastName)
	}

	if _, err := w.Contract(ctx, code, year, vdi); err != nil {
		t.Errorf("Contract: %v", err)
	}

	if _, err := w.Identity(ctx, "99999999"); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("unknown student: %v, want ErrNotFound", err)
	}
}
