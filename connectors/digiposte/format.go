package digiposte

// This file is the ONLY place that knows the shape of the Digiposte file exchange:
// folder names, file names, CSV columns, separators, status codes. Digiposte's B2B
// formats are not public (see README.md): the defaults below are a plausible layout,
// and a site matches its real contract by overriding fields in application.yaml
// (digiposte.format), without touching the engine or the rest of this package.

import (
	"fmt"
	"path"
	"regexp"
	"sort"
	"strings"

	"hypercerts/domain"
)

// Column is one CSV column: the header printed (or looked for) and the field it holds.
type Column struct {
	Header string `yaml:"header"`
	Field  string `yaml:"field"`
}

// Fields each kind of file may hold.
const (
	// adhesion CSV (one row per student)
	FieldCode       = "code"        // student code (cod_etu): the key of every exchange
	FieldINE        = "ine"         // national student identifier
	FieldLastName   = "last_name"   // NOM
	FieldFirstNames = "first_names" // Prénoms
	FieldEmail      = "email"
	FieldBirthDate  = "birth_date" // formatted with DateLayout
	FieldBatch      = "batch"      // the batch id (also allowed in the deposit manifest)
	// deposit manifest (one row per PDF)
	FieldFile   = "file"   // path of the PDF inside the zip
	FieldTitle  = "title"  // document title shown in the vault
	FieldSize   = "size"   // size of the PDF in bytes
	FieldSHA256 = "sha256" // hex SHA-256 of the PDF
	// return CSV (one row per status); code is FieldCode
	FieldStatus = "status" // one of StatusOpen, StatusRefused, StatusCancelled
	FieldDate   = "date"   // parsed with ReturnDateLayouts
	FieldReason = "reason" // free text
)

// Ack modes: what Acknowledge does with a return file once its statuses are stored.
const (
	AckArchive = "archive" // move it into ArchiveDir
	AckDelete  = "delete"  // delete it
)

// Zip methods for deposits.
const (
	ZipDeflate = "deflate"
	ZipStore   = "store" // PDFs are already compressed: faster, slightly larger
)

// Format is the whole Digiposte file contract. Names are templates where {partner}
// and {batch} are replaced (and {file}, {code} in DepositPDFPath; {seq} in ReturnName).
// Every drop name must contain {batch}: that is what makes drops idempotent.
// Folders are relative to the remote (or local) base folder.
type Format struct {
	// Partner is the sender code Digiposte gave the university ({partner}).
	Partner string `yaml:"partner"`

	// Folders.
	AdhesionDir string `yaml:"adhesion_dir"` // where adhesion zips are dropped
	DepositDir  string `yaml:"deposit_dir"`  // where deposit zips are dropped
	ReturnDir   string `yaml:"return_dir"`   // where Digiposte writes status returns
	ArchiveDir  string `yaml:"archive_dir"`  // where acknowledged returns go (AckArchive)

	// Temporary names: a drop is written as TempPrefix+name+TempSuffix in the same
	// folder, then renamed. Digiposte must ignore such names.
	TempPrefix string `yaml:"temp_prefix"`
	TempSuffix string `yaml:"temp_suffix"`

	// CSV conventions shared by every CSV file.
	Separator  string `yaml:"separator"`   // one character
	NoHeader   bool   `yaml:"no_header"`   // no header line: columns are taken by position
	BOM        bool   `yaml:"bom"`         // start written CSVs with a UTF-8 BOM (Excel)
	CRLF       bool   `yaml:"crlf"`        // end lines with \r\n
	DateLayout string `yaml:"date_layout"` // Go layout of dates we write (birth date)

	// Adhesions (R19): one zip holding one CSV.
	AdhesionZip     string   `yaml:"adhesion_zip"`
	AdhesionCSV     string   `yaml:"adhesion_csv"`
	AdhesionColumns []Column `yaml:"adhesion_columns"`

	// Deposits (R20): one zip holding the PDFs then a manifest CSV (written last,
	// since it carries each PDF's size and hash).
	DepositZip      string   `yaml:"deposit_zip"`
	DepositPDFPath  string   `yaml:"deposit_pdf_path"` // {file}, {code}
	DepositManifest string   `yaml:"deposit_manifest"`
	DepositColumns  []Column `yaml:"deposit_columns"`
	ZipMethod       string   `yaml:"zip_method"`

	// Returns (vault statuses): CSV files, or zips of CSV files, in ReturnDir whose
	// names match one of ReturnPatterns (path.Match globs).
	ReturnPatterns    []string `yaml:"return_patterns"`
	ReturnColumns     []Column `yaml:"return_columns"` // by header, or by position when NoHeader
	ReturnDateLayouts []string `yaml:"return_date_layouts"`
	StatusOpen        []string `yaml:"status_open"`      // compared case-insensitively
	StatusRefused     []string `yaml:"status_refused"`   //
	StatusCancelled   []string `yaml:"status_cancelled"` //
	// ReturnName is the name the simulator gives its returns ({partner}, {seq}); the
	// real Digiposte chooses its own, which must match ReturnPatterns.
	ReturnName string `yaml:"return_name"`

	// AckMode is AckArchive or AckDelete.
	AckMode string `yaml:"ack_mode"`
}

// DefaultFormat is the layout used when the configuration says nothing. It follows the
// public three-step model (référentiel d'adhésions, synchronisation, flux de documents)
// and the column names of the one public sample seen (IMT: PRENOM_ELE, NOM_NAISSANCE,
// NUMERO, EMAIL_ELE, ';'-separated).
func DefaultFormat() Format {
	return Format{
		Partner:     "UNIV",
		AdhesionDir: "adhesions",
		DepositDir:  "depots",
		ReturnDir:   "retours",
		ArchiveDir:  "retours/archives",
		TempPrefix:  ".",
		TempSuffix:  ".part",
		Separator:   ";",
		DateLayout:  "02/01/2006",

		AdhesionZip: "{partner}_ADH_{batch}.zip",
		AdhesionCSV: "{partner}_ADH_{batch}.csv",
		AdhesionColumns: []Column{
			{"NUMERO", FieldCode},
			{"INE", FieldINE},
			{"NOM_NAISSANCE", FieldLastName},
			{"PRENOM_ELE", FieldFirstNames},
			{"DATE_NAISSANCE", FieldBirthDate},
			{"EMAIL_ELE", FieldEmail},
		},

		DepositZip:      "{partner}_DEP_{batch}.zip",
		DepositPDFPath:  "documents/{file}",
		DepositManifest: "{partner}_DEP_{batch}.csv",
		DepositColumns: []Column{
			{"NUMERO", FieldCode},
			{"FICHIER", FieldFile},
			{"TITRE", FieldTitle},
			{"TAILLE", FieldSize},
			{"SHA256", FieldSHA256},
		},
		ZipMethod: ZipDeflate,

		ReturnPatterns: []string{"*_RET_*.csv", "*_RET_*.zip"},
		ReturnColumns: []Column{
			{"NUMERO", FieldCode},
			{"STATUT", FieldStatus},
			{"DATE", FieldDate},
			{"MOTIF", FieldReason},
		},
		ReturnDateLayouts: []string{"2006-01-02T15:04:05Z07:00", "2006-01-02 15:04:05", "2006-01-02", "02/01/2006"},
		StatusOpen:        []string{"OUVERT", "ACTIF"},
		StatusRefused:     []string{"REFUSE", "REFUSÉ", "REJETE", "REJETÉ"},
		StatusCancelled:   []string{"RESILIE", "RÉSILIÉ"},
		ReturnName:        "{partner}_RET_{seq}.csv",

		AckMode: AckArchive,
	}
}

// WithDefaults fills every empty field of f from DefaultFormat, so a configuration may
// override only what differs.
func (f Format) WithDefaults() Format {
	d := DefaultFormat()
	str := func(v *string, def string) {
		if *v == "" {
			*v = def
		}
	}
	str(&f.Partner, d.Partner)
	str(&f.AdhesionDir, d.AdhesionDir)
	str(&f.DepositDir, d.DepositDir)
	str(&f.ReturnDir, d.ReturnDir)
	str(&f.ArchiveDir, d.ArchiveDir)
	if f.TempPrefix == "" && f.TempSuffix == "" {
		f.TempPrefix, f.TempSuffix = d.TempPrefix, d.TempSuffix
	}
	str(&f.Separator, d.Separator)
	str(&f.DateLayout, d.DateLayout)
	str(&f.AdhesionZip, d.AdhesionZip)
	str(&f.AdhesionCSV, d.AdhesionCSV)
	str(&f.DepositZip, d.DepositZip)
	str(&f.DepositPDFPath, d.DepositPDFPath)
	str(&f.DepositManifest, d.DepositManifest)
	str(&f.ZipMethod, d.ZipMethod)
	str(&f.ReturnName, d.ReturnName)
	str(&f.AckMode, d.AckMode)
	list(&f.AdhesionColumns, d.AdhesionColumns)
	list(&f.DepositColumns, d.DepositColumns)
	list(&f.ReturnColumns, d.ReturnColumns)
	list(&f.ReturnPatterns, d.ReturnPatterns)
	list(&f.ReturnDateLayouts, d.ReturnDateLayouts)
	list(&f.StatusOpen, d.StatusOpen)
	list(&f.StatusRefused, d.StatusRefused)
	list(&f.StatusCancelled, d.StatusCancelled)
	return f
}

// list gives an empty list its default.
func list[T any](dst *[]T, def []T) {
	if len(*dst) == 0 {
		*dst = def
	}
}

var (
	adhesionFields = fieldSet(FieldCode, FieldINE, FieldLastName, FieldFirstNames, FieldEmail, FieldBirthDate, FieldBatch)
	depositFields  = fieldSet(FieldCode, FieldFile, FieldTitle, FieldSize, FieldSHA256, FieldBatch)
	returnFields   = fieldSet(FieldCode, FieldStatus, FieldDate, FieldReason)
)

func fieldSet(fs ...string) map[string]bool {
	m := map[string]bool{}
	for _, f := range fs {
		m[f] = true
	}
	return m
}

// Validate says, in French, what is wrong with a format (after WithDefaults).
func (f Format) Validate() error {
	var errs []string
	bad := func(format string, a ...any) { errs = append(errs, fmt.Sprintf(format, a...)) }
	if len([]rune(f.Separator)) != 1 || f.Separator == "\"" || f.Separator == "\n" {
		bad("separator doit être un seul caractère (pas %q)", f.Separator)
	}
	if !safeToken.MatchString(f.Partner) {
		bad("partner %q : lettres, chiffres, '-' et '_' seulement", f.Partner)
	}
	for name, v := range map[string]string{"adhesion_zip": f.AdhesionZip, "deposit_zip": f.DepositZip} {
		if !strings.Contains(v, "{batch}") {
			bad("%s (%q) doit contenir {batch} : c'est ce qui rend un dépôt rejouable sans doublon", name, v)
		}
		if strings.Contains(v, "/") {
			bad("%s (%q) est un nom de fichier, pas un chemin", name, v)
		}
	}
	if !strings.Contains(f.DepositPDFPath, "{file}") {
		bad("deposit_pdf_path (%q) doit contenir {file}", f.DepositPDFPath)
	}
	if !strings.Contains(f.ReturnName, "{seq}") {
		bad("return_name (%q) doit contenir {seq}", f.ReturnName)
	}
	for _, p := range f.ReturnPatterns {
		if _, err := path.Match(p, ""); err != nil {
			bad("return_patterns : motif %q invalide", p)
		}
	}
	for _, dir := range []string{f.AdhesionDir, f.DepositDir, f.ReturnDir, f.ArchiveDir} {
		if path.IsAbs(dir) || strings.Contains("/"+dir+"/", "/../") {
			bad("dossier %q : doit être relatif au dossier de base, sans '..'", dir)
		}
	}
	checkCols := func(name string, cols []Column, allowed map[string]bool, required ...string) {
		seen := map[string]bool{}
		for _, c := range cols {
			if !allowed[c.Field] {
				bad("%s : champ %q inconnu (possibles : %s)", name, c.Field, keys(allowed))
			}
			seen[c.Field] = true
		}
		for _, r := range required {
			if !seen[r] {
				bad("%s : la colonne du champ %q est obligatoire", name, r)
			}
		}
	}
	checkCols("adhesion_columns", f.AdhesionColumns, adhesionFields, FieldCode)
	checkCols("deposit_columns", f.DepositColumns, depositFields, FieldCode, FieldFile)
	checkCols("return_columns", f.ReturnColumns, returnFields, FieldCode, FieldStatus)
	if f.ZipMethod != ZipDeflate && f.ZipMethod != ZipStore {
		bad("zip_method %q : %q ou %q", f.ZipMethod, ZipDeflate, ZipStore)
	}
	if f.AckMode != AckArchive && f.AckMode != AckDelete {
		bad("ack_mode %q : %q ou %q", f.AckMode, AckArchive, AckDelete)
	}
	if f.AckMode == AckArchive && path.Clean(f.ArchiveDir) == path.Clean(f.ReturnDir) {
		bad("archive_dir ne peut pas être return_dir")
	}
	if f.TempPrefix == "" && f.TempSuffix == "" {
		bad("temp_prefix ou temp_suffix doit être non vide (noms temporaires des dépôts)")
	}
	if len(errs) > 0 {
		return fmt.Errorf("format Digiposte invalide : %s", strings.Join(errs, " ; "))
	}
	return nil
}

func keys(m map[string]bool) string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return strings.Join(ks, ", ")
}

// safeToken is what a batch id and a partner code may contain.
var safeToken = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$`)

func (f Format) name(tmpl, batch string) string {
	return strings.NewReplacer("{partner}", f.Partner, "{batch}", batch).Replace(tmpl)
}

func (f Format) adhesionZip(batch string) string { return f.name(f.AdhesionZip, batch) }
func (f Format) adhesionCSV(batch string) string { return f.name(f.AdhesionCSV, batch) }
func (f Format) depositZip(batch string) string  { return f.name(f.DepositZip, batch) }
func (f Format) manifest(batch string) string    { return f.name(f.DepositManifest, batch) }

func (f Format) pdfPath(code, file string) string {
	return strings.NewReplacer("{partner}", f.Partner, "{code}", code, "{file}", file).Replace(f.DepositPDFPath)
}

func (f Format) returnName(seq string) string {
	return strings.NewReplacer("{partner}", f.Partner, "{seq}", seq).Replace(f.ReturnName)
}

// temp is the name a drop is written under before its rename.
func (f Format) temp(name string) string { return f.TempPrefix + name + f.TempSuffix }

// isTemp tells a file being written (by us or by Digiposte) from a final one.
func (f Format) isTemp(name string) bool {
	return (f.TempPrefix != "" && strings.HasPrefix(name, f.TempPrefix)) ||
		(f.TempSuffix != "" && strings.HasSuffix(name, f.TempSuffix))
}

func (f Format) isReturn(name string) bool {
	if f.isTemp(name) {
		return false
	}
	for _, p := range f.ReturnPatterns {
		if ok, _ := path.Match(p, name); ok {
			return true
		}
	}
	return false
}

// status maps a return status code to the vault state it means.
func (f Format) status(code string) (domain.EntryState, bool) {
	code = strings.TrimSpace(code)
	for _, m := range []struct {
		list []string
		s    domain.EntryState
	}{{f.StatusOpen, domain.EntryVaultOpen}, {f.StatusRefused, domain.EntryVaultRefused}, {f.StatusCancelled, domain.EntryCancelled}} {
		for _, v := range m.list {
			if strings.EqualFold(v, code) {
				return m.s, true
			}
		}
	}
	return "", false
}
