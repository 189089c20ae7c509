package digiposte

import (
	"archive/zip"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// SimOptions tune the Digiposte simulator.
type SimOptions struct {
	Format Format
	// RefuseEvery: every n-th student requested is refused (0: default 7; <0: never).
	RefuseEvery int
	// CancelEvery: every n-th vault opened is cancelled (résilié) at the step after it
	// opened (0: default 5; <0: never).
	CancelEvery int
	Now         func() time.Time
	Log         *slog.Logger
}

// SimReport says what one simulator step did.
type SimReport struct {
	AdhesionFiles int // adhesion zips read
	Opened        int
	Refused       int
	Cancelled     int
	DepositFiles  int // deposit zips read
	Integrated    int // documents put into an open vault
	Rejected      int // documents whose vault is not open ("non intégré")
	Problems      []string
	ReturnFile    string // the return written, "" when there was nothing to say
}

// Simulator plays Digiposte on a folder with the exchange layout (a LocalDir, or the
// folder an SFTP server serves): it reads the adhesion drops, opens vaults, refuses
// and cancels a few deterministically, checks the deposits, and writes status returns.
// Its memory is a state file in .digiposte-sim/ under the folder.
type Simulator struct {
	dir string
	o   SimOptions
	fs  localFS
	mu  sync.Mutex
}

type simState struct {
	Seen      map[string]bool     `json:"seen"`   // drops already read
	Vaults    map[string]string   `json:"vaults"` // code → open | refused | cancelled
	Pending   []string            `json:"pending_cancel"`
	Requested int                 `json:"requested"`
	Opened    int                 `json:"opened"`
	Seq       int                 `json:"seq"`
	Documents map[string][]string `json:"documents"` // code → files integrated
}

const simStateFile = ".digiposte-sim/state.json"

// NewSimulator prepares a simulator on dir (creating the exchange folders).
func NewSimulator(dir string, o SimOptions) (*Simulator, error) {
	o.Format = o.Format.WithDefaults()
	if err := o.Format.Validate(); err != nil {
		return nil, err
	}
	if o.RefuseEvery == 0 {
		o.RefuseEvery = 7
	}
	if o.CancelEvery == 0 {
		o.CancelEvery = 5
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	s := &Simulator{dir: dir, o: o, fs: localFS{base: dir}}
	for _, d := range []string{o.Format.AdhesionDir, o.Format.DepositDir, o.Format.ReturnDir, o.Format.ArchiveDir, path.Dir(simStateFile)} {
		if err := s.fs.MkdirAll(d); err != nil {
			return nil, fmt.Errorf("simulateur Digiposte : %v", err)
		}
	}
	return s, nil
}

// Simulate runs one simulator step on dir.
func Simulate(dir string, o SimOptions) (SimReport, error) {
	s, err := NewSimulator(dir, o)
	if err != nil {
		return SimReport{}, err
	}
	return s.Step()
}

// Run steps every interval until ctx is done (the demo's "Digiposte").
func (s *Simulator) Run(ctx context.Context, every time.Duration) error {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if r, err := s.Step(); err != nil {
			s.o.Log.Error("simulateur Digiposte", "erreur", err)
		} else if r.ReturnFile != "" {
			s.o.Log.Info("simulateur Digiposte", "ouverts", r.Opened, "refusés", r.Refused, "résiliés", r.Cancelled,
				"documents_intégrés", r.Integrated, "documents_rejetés", r.Rejected, "retour", r.ReturnFile)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Vaults gives the simulated vault of each student (open, refused, cancelled) and the
// documents each one received: what tests and the demo check.
func (s *Simulator) Vaults() (map[string]string, map[string][]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, err := s.load()
	return st.Vaults, st.Documents, err
}

type simRow struct{ code, status, reason string }

// Step does one pass: cancellations due, new adhesion drops, new deposit drops, then
// one return file with every status change.
func (s *Simulator) Step() (SimReport, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.o.Format
	var rep SimReport
	st, err := s.load()
	if err != nil {
		return rep, err
	}
	var rows []simRow
	now := s.o.Now()

	// 1. vaults cancelled by their owners since the last step
	for _, code := range st.Pending {
		if st.Vaults[code] == "open" {
			st.Vaults[code] = "cancelled"
			rows = append(rows, simRow{code, f.StatusCancelled[0], "résiliation par l'usager depuis son coffre"})
			rep.Cancelled++
		}
	}
	st.Pending = nil

	// 2. adhesion drops
	names, err := s.finals(f.AdhesionDir)
	if err != nil {
		return rep, err
	}
	for _, name := range names {
		key := "A/" + name
		if st.Seen[key] {
			continue
		}
		students, err := s.readAdhesions(path.Join(f.AdhesionDir, name))
		if err != nil {
			rep.Problems = append(rep.Problems, name+" : "+err.Error())
			st.Seen[key] = true
			continue
		}
		rep.AdhesionFiles++
		for _, code := range students {
			switch st.Vaults[code] {
			case "open":
				rows = append(rows, simRow{code, f.StatusOpen[0], "coffre déjà ouvert"})
				continue
			case "cancelled":
				rows = append(rows, simRow{code, f.StatusRefused[0], "coffre résilié : nouvelle adhésion refusée"})
				rep.Refused++
				continue
			}
			st.Requested++
			if s.o.RefuseEvery > 0 && st.Requested%s.o.RefuseEvery == 0 {
				st.Vaults[code] = "refused"
				rows = append(rows, simRow{code, f.StatusRefused[0], "adresse électronique refusée"})
				rep.Refused++
				continue
			}
			st.Vaults[code] = "open"
			st.Opened++
			rows = append(rows, simRow{code, f.StatusOpen[0], ""})
			rep.Opened++
			if s.o.CancelEvery > 0 && st.Opened%s.o.CancelEvery == 0 {
				st.Pending = append(st.Pending, code)
			}
		}
		st.Seen[key] = true
	}

	// 3. deposit drops
	names, err = s.finals(f.DepositDir)
	if err != nil {
		return rep, err
	}
	for _, name := range names {
		key := "D/" + name
		if st.Seen[key] {
			continue
		}
		docs, err := s.readDeposit(path.Join(f.DepositDir, name))
		st.Seen[key] = true
		if err != nil {
			rep.Problems = append(rep.Problems, name+" : "+err.Error())
			continue
		}
		rep.DepositFiles++
		for _, d := range docs {
			if st.Vaults[d[0]] == "open" {
				st.Documents[d[0]] = append(st.Documents[d[0]], d[1])
				rep.Integrated++
			} else {
				rep.Rejected++ // Digiposte: "non intégré", the sender must use another channel
			}
		}
	}

	// 4. the return
	if len(rows) > 0 {
		st.Seq++
		rep.ReturnFile = f.returnName(fmt.Sprintf("%s_%04d", now.Format("20060102T150405"), st.Seq))
		if err := s.writeReturn(rep.ReturnFile, rows, now); err != nil {
			return rep, err
		}
	}
	return rep, s.save(st)
}

// finals lists the final (not temporary) zip names of dir, sorted.
func (s *Simulator) finals(dir string) ([]string, error) {
	infos, err := s.fs.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("simulateur Digiposte : %v", err)
	}
	var out []string
	for _, fi := range infos {
		if !fi.IsDir() && !s.o.Format.isTemp(fi.Name()) && strings.EqualFold(path.Ext(fi.Name()), ".zip") {
			out = append(out, fi.Name())
		}
	}
	sort.Strings(out)
	return out, nil
}

func (s *Simulator) csvReader(r io.Reader) *csv.Reader {
	cr := csv.NewReader(stripBOM(r))
	cr.Comma = []rune(s.o.Format.Separator)[0]
	cr.FieldsPerRecord = -1
	return cr
}

// column finds a field's column, by header when the format has headers.
func (s *Simulator) column(cols []Column, hdr []string, field string) int {
	for i, c := range cols {
		if c.Field != field {
			continue
		}
		if hdr == nil {
			return i
		}
		for j, h := range hdr {
			if strings.EqualFold(strings.TrimSpace(h), c.Header) {
				return j
			}
		}
	}
	return -1
}

func (s *Simulator) readAdhesions(name string) ([]string, error) {
	zr, closer, err := s.openZip(name)
	if err != nil {
		return nil, err
	}
	defer closer()
	var codes []string
	for _, zf := range zr.File {
		if !strings.EqualFold(path.Ext(zf.Name), ".csv") {
			continue
		}
		recs, err := s.readCSV(zf)
		if err != nil {
			return nil, err
		}
		var hdr []string
		if !s.o.Format.NoHeader && len(recs) > 0 {
			hdr, recs = recs[0], recs[1:]
		}
		ci := s.column(s.o.Format.AdhesionColumns, hdr, FieldCode)
		if ci < 0 {
			return nil, errors.New("colonne du numéro d'étudiant absente")
		}
		for _, r := range recs {
			if ci < len(r) && r[ci] != "" {
				codes = append(codes, r[ci])
			}
		}
	}
	return codes, nil
}

// readDeposit checks a deposit zip against its manifest and returns (code, file) pairs.
func (s *Simulator) readDeposit(name string) ([][2]string, error) {
	zr, closer, err := s.openZip(name)
	if err != nil {
		return nil, err
	}
	defer closer()
	files := map[string]*zip.File{}
	var manifest *zip.File
	for _, zf := range zr.File {
		files[zf.Name] = zf
		if strings.EqualFold(path.Ext(zf.Name), ".csv") && !strings.Contains(zf.Name, "/") {
			manifest = zf
		}
	}
	if manifest == nil {
		return nil, errors.New("pas de manifeste CSV à la racine de l'archive")
	}
	recs, err := s.readCSV(manifest)
	if err != nil {
		return nil, err
	}
	cols := s.o.Format.DepositColumns
	var hdr []string
	if !s.o.Format.NoHeader && len(recs) > 0 {
		hdr, recs = recs[0], recs[1:]
	}
	ci, fi, si := s.column(cols, hdr, FieldCode), s.column(cols, hdr, FieldFile), s.column(cols, hdr, FieldSize)
	if ci < 0 || fi < 0 {
		return nil, errors.New("manifeste sans colonne numéro ou fichier")
	}
	var out [][2]string
	for i, r := range recs {
		if ci >= len(r) || fi >= len(r) {
			return nil, fmt.Errorf("manifeste ligne %d incomplète", i+2)
		}
		zf := files[r[fi]]
		if zf == nil {
			return nil, fmt.Errorf("manifeste ligne %d : %s absent de l'archive", i+2, r[fi])
		}
		if si >= 0 && si < len(r) {
			if n, _ := strconv.ParseUint(r[si], 10, 64); n != zf.UncompressedSize64 {
				return nil, fmt.Errorf("manifeste ligne %d : taille %s ≠ %d", i+2, r[si], zf.UncompressedSize64)
			}
		}
		out = append(out, [2]string{r[ci], r[fi]})
	}
	return out, nil
}

func (s *Simulator) openZip(name string) (*zip.Reader, func(), error) {
	f, err := s.fs.Open(name)
	if err != nil {
		return nil, nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	zr, err := zip.NewReader(f, fi.Size())
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("archive illisible : %v", err)
	}
	return zr, func() { f.Close() }, nil
}

func (s *Simulator) readCSV(zf *zip.File) ([][]string, error) {
	rc, err := zf.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return s.csvReader(rc).ReadAll()
}

// writeReturn writes a return file atomically (temporary name, then rename), as the
// real Digiposte is expected to.
func (s *Simulator) writeReturn(name string, rows []simRow, now time.Time) error {
	f := s.o.Format
	var b strings.Builder
	cw := csv.NewWriter(&b)
	cw.Comma = []rune(f.Separator)[0]
	cw.UseCRLF = f.CRLF
	if !f.NoHeader {
		_ = cw.Write(headers(f.ReturnColumns))
	}
	date := now.Format(f.ReturnDateLayouts[0])
	for _, r := range rows {
		rec := make([]string, len(f.ReturnColumns))
		for i, c := range f.ReturnColumns {
			switch c.Field {
			case FieldCode:
				rec[i] = r.code
			case FieldStatus:
				rec[i] = r.status
			case FieldDate:
				rec[i] = date
			case FieldReason:
				rec[i] = r.reason
			}
		}
		_ = cw.Write(rec)
	}
	cw.Flush()
	final := path.Join(f.ReturnDir, name)
	tmp := path.Join(f.ReturnDir, f.temp(name))
	if err := os.WriteFile(s.fs.p(tmp), []byte(b.String()), 0o640); err != nil {
		return fmt.Errorf("simulateur Digiposte : %v", err)
	}
	return s.fs.Rename(tmp, final)
}

func (s *Simulator) load() (simState, error) {
	st := simState{Seen: map[string]bool{}, Vaults: map[string]string{}, Documents: map[string][]string{}}
	b, err := os.ReadFile(filepath.Join(s.dir, simStateFile))
	if errors.Is(err, os.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return st, fmt.Errorf("simulateur Digiposte : %v", err)
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return st, fmt.Errorf("simulateur Digiposte : état %s illisible : %v", simStateFile, err)
	}
	for _, m := range []*map[string]bool{&st.Seen} {
		if *m == nil {
			*m = map[string]bool{}
		}
	}
	if st.Vaults == nil {
		st.Vaults = map[string]string{}
	}
	if st.Documents == nil {
		st.Documents = map[string][]string{}
	}
	return st, nil
}

func (s *Simulator) save(st simState) error {
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	p := filepath.Join(s.dir, simStateFile)
	if err := os.WriteFile(p+".tmp", b, 0o640); err != nil {
		return fmt.Errorf("simulateur Digiposte : %v", err)
	}
	return os.Rename(p+".tmp", p)
}
