package digiposte

import (
	"archive/zip"
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"hypercerts/domain"
)

// exchange implements domain.Vault over any remoteFS; Client (SFTP) and LocalDir only
// differ in how they open one.
type exchange struct {
	f      Format
	system string // "SFTP" or "Digiposte (dossier local)", for error messages
	open   func(ctx context.Context) (remoteFS, func(), error)
	now    func() time.Time
	log    *slog.Logger
	// bufSize is the write buffer between the zip writer and the remote file.
	bufSize int
}

var _ domain.Vault = (*exchange)(nil)

// RequestAdhesions drops one zip holding one CSV of students (R19).
func (x *exchange) RequestAdhesions(ctx context.Context, batchID string, students []domain.VaultStudent) error {
	const op = "dépôt des adhésions"
	if err := checkBatch(batchID); err != nil {
		return err
	}
	if len(students) == 0 {
		return nil
	}
	seen := map[string]bool{}
	for _, s := range students {
		if s.Code == "" {
			return domain.Invalid("adhésions %s : un étudiant sans numéro", batchID)
		}
		if seen[s.Code] {
			return domain.Invalid("adhésions %s : l'étudiant %s figure deux fois", batchID, s.Code)
		}
		seen[s.Code] = true
	}
	rfs, done, err := x.open(ctx)
	if err != nil {
		return err
	}
	defer done()
	name := x.f.adhesionZip(batchID)
	return x.drop(ctx, rfs, op, x.f.AdhesionDir, name, func(w io.Writer) error {
		zw := zip.NewWriter(w)
		return x.writeTable(zw, x.f.adhesionCSV(batchID), x.now(), x.f.AdhesionColumns, len(students), func(row int, field string) string {
			return x.adhesionField(field, batchID, students[row])
		})
	}, len(students))
}

func (x *exchange) adhesionField(field, batch string, s domain.VaultStudent) string {
	switch field {
	case FieldCode:
		return s.Code
	case FieldINE:
		return s.INE
	case FieldLastName:
		return s.LastName
	case FieldFirstNames:
		return s.FirstNames
	case FieldEmail:
		return s.Email
	case FieldBirthDate:
		if s.BirthDate.IsZero() {
			return ""
		}
		return s.BirthDate.Format(x.f.DateLayout)
	case FieldBatch:
		return batch
	}
	return ""
}

// Deposit drops one zip holding every PDF, rendered on the fly, then the manifest (R20).
func (x *exchange) Deposit(ctx context.Context, batchID string, deposits []domain.Deposit) error {
	const op = "dépôt des documents"
	if err := checkBatch(batchID); err != nil {
		return err
	}
	if len(deposits) == 0 {
		return nil
	}
	paths := map[string]bool{}
	for _, d := range deposits {
		if d.StudentCode == "" || d.PDF == nil {
			return domain.Invalid("dépôt %s : document sans numéro d'étudiant ou sans PDF", batchID)
		}
		if d.FileName == "" || strings.ContainsAny(d.FileName, "/\\") || d.FileName == "." || d.FileName == ".." {
			return domain.Invalid("dépôt %s : nom de fichier %q invalide (un nom simple, sans dossier)", batchID, d.FileName)
		}
		p := x.f.pdfPath(d.StudentCode, d.FileName)
		if paths[p] {
			return domain.Invalid("dépôt %s : le fichier %s figure deux fois", batchID, p)
		}
		paths[p] = true
	}
	method := zip.Deflate
	if x.f.ZipMethod == ZipStore {
		method = zip.Store
	}
	rfs, done, err := x.open(ctx)
	if err != nil {
		return err
	}
	defer done()
	name := x.f.depositZip(batchID)
	return x.drop(ctx, rfs, op, x.f.DepositDir, name, func(w io.Writer) error {
		zw := zip.NewWriter(w)
		modified := x.now()
		type row struct {
			d    *domain.Deposit
			path string
			size int64
			sum  string
		}
		rows := make([]row, 0, len(deposits))
		h := sha256.New()
		for i := range deposits {
			if err := ctx.Err(); err != nil {
				return err
			}
			d := &deposits[i]
			p := x.f.pdfPath(d.StudentCode, d.FileName)
			ew, err := zw.CreateHeader(&zip.FileHeader{Name: p, Method: method, Modified: modified})
			if err != nil {
				return err
			}
			h.Reset()
			cw := &countWriter{w: io.MultiWriter(ew, h)}
			if err := d.PDF(cw); err != nil {
				if cw.err != nil { // the write failed, not the render: report the transfer
					return cw.err
				}
				return &renderError{code: d.StudentCode, err: err}
			}
			if cw.n == 0 {
				return &renderError{code: d.StudentCode, err: errors.New("PDF vide")}
			}
			rows = append(rows, row{d: d, path: p, size: cw.n, sum: hex.EncodeToString(h.Sum(nil))})
		}
		return x.writeTable(zw, x.f.manifest(batchID), modified, x.f.DepositColumns, len(rows), func(i int, field string) string {
			r := rows[i]
			switch field {
			case FieldCode:
				return r.d.StudentCode
			case FieldFile:
				return r.path
			case FieldTitle:
				return r.d.Title
			case FieldSize:
				return strconv.FormatInt(r.size, 10)
			case FieldSHA256:
				return r.sum
			case FieldBatch:
				return batchID
			}
			return ""
		})
	}, len(deposits))
}

// renderError is a failure of the caller's PDF callback, as opposed to the transfer.
type renderError struct {
	code string
	err  error
}

func (e *renderError) Error() string {
	return fmt.Sprintf("rendu du PDF de l'étudiant %s : %v", e.code, e.err)
}
func (e *renderError) Unwrap() error { return e.err }

type countWriter struct {
	w   io.Writer
	n   int64
	err error
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	if err != nil && c.err == nil {
		c.err = err
	}
	return n, err
}

// drop writes name into dir atomically: as a temporary name, then renamed. A final name
// already there means the batch was dropped in full before: nothing is sent again.
func (x *exchange) drop(ctx context.Context, rfs remoteFS, op, dir, name string, write func(io.Writer) error, items int) error {
	final := path.Join(dir, name)
	tmp := path.Join(dir, x.f.temp(name))
	if _, err := rfs.Stat(final); err == nil {
		x.log.Info("Digiposte : lot déjà déposé, rien à renvoyer", "fichier", final)
		return nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return x.fail(ctx, rfs, op, dir, final, err)
	}
	start := x.now()
	f, err := rfs.Create(tmp)
	if err != nil {
		return x.fail(ctx, rfs, op, dir, tmp, err)
	}
	bw := bufio.NewWriterSize(f, x.bufSize)
	cw := &countWriter{w: bw}
	err = write(cw)
	if err == nil {
		err = bw.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		var re *renderError
		if errors.As(err, &re) {
			// The caller's own failure, kept as it is (its kind is the caller's).
			//lint:ignore ST1005 Digiposte is a proper noun
			err = fmt.Errorf("Digiposte %s : %w ; rien n'a été déposé (%s)", op, re, final)
		} else {
			err = x.fail(ctx, rfs, op, dir, tmp, err) // before removing: it looks at free space
		}
		// Best effort: on a cut connection this fails too, and the next drop of the
		// same batch truncates the leftover anyway.
		_ = rfs.Remove(tmp)
		return err
	}
	if err := rfs.Rename(tmp, final); err != nil {
		return x.fail(ctx, rfs, op, dir, final, err)
	}
	x.log.Info("Digiposte : lot déposé", "fichier", final, "éléments", items,
		"octets", cw.n, "durée", x.now().Sub(start).Round(time.Millisecond))
	return nil
}

// Returns reads every return file not yet acknowledged, oldest name first.
func (x *exchange) Returns(ctx context.Context) ([]domain.VaultReturn, error) {
	const op = "lecture des retours"
	rfs, done, err := x.open(ctx)
	if err != nil {
		return nil, err
	}
	defer done()
	infos, err := rfs.ReadDir(x.f.ReturnDir)
	if err != nil {
		return nil, x.fail(ctx, rfs, op, x.f.ReturnDir, x.f.ReturnDir, err)
	}
	sort.Slice(infos, func(i, j int) bool { return infos[i].Name() < infos[j].Name() })
	var out []domain.VaultReturn
	for _, fi := range infos {
		if fi.IsDir() || !x.f.isReturn(fi.Name()) {
			continue
		}
		if err := ctx.Err(); err != nil {
			return nil, x.fail(ctx, rfs, op, x.f.ReturnDir, fi.Name(), err)
		}
		r, err := x.readReturn(rfs, fi)
		if err != nil {
			return nil, x.fail(ctx, rfs, op, x.f.ReturnDir, path.Join(x.f.ReturnDir, fi.Name()), err)
		}
		out = append(out, r)
	}
	return out, nil
}

// readReturn parses one return file. Transfer errors are returned; content errors go
// into VaultReturn.Err.
func (x *exchange) readReturn(rfs remoteFS, fi fs.FileInfo) (domain.VaultReturn, error) {
	r := domain.VaultReturn{ID: fi.Name()}
	f, err := rfs.Open(path.Join(x.f.ReturnDir, fi.Name()))
	if err != nil {
		return r, err
	}
	defer f.Close()
	var problems []string
	if strings.EqualFold(path.Ext(fi.Name()), ".zip") {
		zr, err := zip.NewReader(f, fi.Size())
		if err != nil {
			r.Err = contentErr(fi.Name(), "archive illisible : "+err.Error())
			return r, nil
		}
		for _, zf := range zr.File {
			if zf.FileInfo().IsDir() || !strings.EqualFold(path.Ext(zf.Name), ".csv") {
				continue
			}
			rc, err := zf.Open()
			if err != nil {
				problems = append(problems, zf.Name+" : "+err.Error())
				continue
			}
			st, probs := x.parseReturn(rc, zf.Name)
			rc.Close()
			r.Statuses = append(r.Statuses, st...)
			problems = append(problems, probs...)
		}
	} else {
		st, probs := x.parseReturn(f, fi.Name())
		r.Statuses, problems = st, probs
	}
	if len(problems) > 0 {
		const maxShown = 5
		more := ""
		if len(problems) > maxShown {
			more = fmt.Sprintf(" (et %d autres)", len(problems)-maxShown)
			problems = problems[:maxShown]
		}
		r.Err = contentErr(fi.Name(), strings.Join(problems, " ; ")+more)
	}
	return r, nil
}

func contentErr(name, msg string) error {
	return &domain.ExternalError{System: "Digiposte", Op: "retour " + name, Kind: domain.ErrPermanent,
		Msg: msg + " ; fichier laissé en place : corrigez le format (digiposte.format) ou voyez avec Digiposte"}
}

func (x *exchange) parseReturn(r io.Reader, name string) ([]domain.VaultStatus, []string) {
	cr := csv.NewReader(stripBOM(r))
	cr.Comma = []rune(x.f.Separator)[0]
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	cr.TrimLeadingSpace = true
	idx := map[string]int{} // field → column index
	var problems []string
	line := 0
	if !x.f.NoHeader {
		hdr, err := cr.Read()
		if err == io.EOF {
			return nil, nil
		}
		if err != nil {
			return nil, []string{name + " : " + err.Error()}
		}
		line++
		for _, c := range x.f.ReturnColumns {
			for i, h := range hdr {
				if strings.EqualFold(strings.TrimSpace(h), c.Header) {
					idx[c.Field] = i
				}
			}
		}
		for _, req := range []string{FieldCode, FieldStatus} {
			if _, ok := idx[req]; !ok {
				return nil, []string{fmt.Sprintf("%s : colonne %q absente de l'en-tête %v", name, headerOf(x.f.ReturnColumns, req), hdr)}
			}
		}
	} else {
		for i, c := range x.f.ReturnColumns {
			idx[c.Field] = i
		}
	}
	get := func(rec []string, field string) string {
		if i, ok := idx[field]; ok && i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	var out []domain.VaultStatus
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		line++
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s ligne %d : %v", name, line, err))
			if _, ok := err.(*csv.ParseError); ok {
				continue
			}
			break
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		code, status := get(rec, FieldCode), get(rec, FieldStatus)
		st, ok := x.f.status(status)
		if code == "" || !ok {
			problems = append(problems, fmt.Sprintf("%s ligne %d : numéro %q, statut %q inconnu (attendus : %s / %s / %s)",
				name, line, code, status, strings.Join(x.f.StatusOpen, ","), strings.Join(x.f.StatusRefused, ","), strings.Join(x.f.StatusCancelled, ",")))
			continue
		}
		vs := domain.VaultStatus{StudentCode: code, State: st, Reason: get(rec, FieldReason)}
		if d := get(rec, FieldDate); d != "" {
			t, ok := parseTime(d, x.f.ReturnDateLayouts)
			if !ok {
				problems = append(problems, fmt.Sprintf("%s ligne %d : date %q illisible", name, line, d))
				continue
			}
			vs.At = t
		}
		out = append(out, vs)
	}
	return out, problems
}

func headerOf(cols []Column, field string) string {
	for _, c := range cols {
		if c.Field == field {
			return c.Header
		}
	}
	return field
}

func parseTime(s string, layouts []string) (time.Time, bool) {
	for _, l := range layouts {
		if t, err := time.ParseInLocation(l, s, time.Local); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// Acknowledge archives (or deletes) returns whose statuses are stored. Unknown or
// already acknowledged ids are a no-op.
func (x *exchange) Acknowledge(ctx context.Context, ids []string) error {
	const op = "acquittement des retours"
	if len(ids) == 0 {
		return nil
	}
	for _, id := range ids {
		if id == "" || strings.ContainsAny(id, "/\\") || !x.f.isReturn(id) {
			return domain.Invalid("acquittement : identifiant de retour %q inconnu", id)
		}
	}
	rfs, done, err := x.open(ctx)
	if err != nil {
		return err
	}
	defer done()
	if x.f.AckMode == AckArchive {
		if err := rfs.MkdirAll(x.f.ArchiveDir); err != nil {
			return x.fail(ctx, rfs, op, x.f.ArchiveDir, x.f.ArchiveDir, err)
		}
	}
	for _, id := range ids {
		src := path.Join(x.f.ReturnDir, id)
		var err error
		if x.f.AckMode == AckDelete {
			err = rfs.Remove(src)
		} else {
			err = rfs.Rename(src, path.Join(x.f.ArchiveDir, id))
		}
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return x.fail(ctx, rfs, op, x.f.ReturnDir, src, err)
		}
	}
	x.log.Info("Digiposte : retours acquittés", "nombre", len(ids), "mode", x.f.AckMode)
	return nil
}

// writeTable writes the zip's CSV entry name (the adhesion file, the deposit
// manifest): the header row unless NoHeader, then n records whose columns' values
// field gives; then it closes the zip.
func (x *exchange) writeTable(zw *zip.Writer, name string, modified time.Time, cols []Column, n int, field func(row int, field string) string) error {
	ew, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: modified})
	if err != nil {
		return err
	}
	cw := x.csvWriter(ew)
	if !x.f.NoHeader {
		if err := cw.Write(headers(cols)); err != nil {
			return err
		}
	}
	rec := make([]string, len(cols))
	for r := range n {
		for i, c := range cols {
			rec[i] = field(r, c.Field)
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	return zw.Close()
}

func (x *exchange) csvWriter(w io.Writer) *csv.Writer {
	if x.f.BOM {
		_, _ = io.WriteString(w, "\uFEFF")
	}
	cw := csv.NewWriter(w)
	cw.Comma = []rune(x.f.Separator)[0]
	cw.UseCRLF = x.f.CRLF
	return cw
}

func headers(cols []Column) []string {
	h := make([]string, len(cols))
	for i, c := range cols {
		h[i] = c.Header
	}
	return h
}

func checkBatch(id string) error {
	if !safeToken.MatchString(id) {
		return domain.Invalid("identifiant de lot %q : 1 à 64 lettres, chiffres, '-' ou '_'", id)
	}
	return nil
}

// stripBOM drops a leading UTF-8 byte order mark.
func stripBOM(r io.Reader) io.Reader {
	br := bufio.NewReader(r)
	if b, err := br.Peek(3); err == nil && string(b) == "\uFEFF" {
		_, _ = br.Discard(3)
	}
	return br
}
