package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"hypercerts/app"
	"hypercerts/config"
	"hypercerts/control"
	"hypercerts/internal/backupfiles"
	"hypercerts/internal/safefile"
	"hypercerts/store"
)

const backupSynopsis = `hypercerts backup [--demo | --config FICHIER] [--force] FICHIER

Écrit dans FICHIER une copie cohérente de la base (store.path) : une seule transaction
de lecture bbolt, les écritures continuent. Si le démon tourne, la copie passe par son
socket de contrôle (store.path + ".sock", mode 0600 : lancez la commande sous
l'utilisateur du démon) ; sinon la base est ouverte directement. La copie est écrite à
côté puis renommée, et vérifiée (elle s'ouvre, schéma connu) avant d'être annoncée.
Les fichiers HubEE (dossier hubee-files/ à côté de la base) suivent la base dans le
même FICHIER ; restore les remet en place.
Elle contient les données personnelles : mode 0600, jamais écrite à travers un lien
symbolique ; un FICHIER existant n'est remplacé qu'avec --force.

Exemples :
  sudo -u hypercerts hypercerts backup --config /etc/hypercerts/application.yaml \
      /var/backups/hypercerts/hypercerts-$(date +%F).db
  hypercerts backup --demo sauvegarde.db`

const restoreSynopsis = `hypercerts restore [--demo | --config FICHIER] FICHIER

Remet en place la sauvegarde FICHIER comme base (store.path). Refuse tant que le démon
(ou une interface locale) tient la base : arrêtez-le d'abord. FICHIER est vérifié
avant (une base hypercerts lisible, d'un schéma que cette version connaît) ; la base
remplacée est gardée à côté (store.path + ".avant-restauration-DATE").

Exemple :
  sudo systemctl stop hypercerts
  sudo -u hypercerts hypercerts restore --config /etc/hypercerts/application.yaml \
      /var/backups/hypercerts/hypercerts-2026-11-22.db
  sudo systemctl start hypercerts`

const purgeSynopsis = `hypercerts purge [--demo | --config FICHIER] [--days N]

Efface les données personnelles (identité, adresse, verdict, état d'envoi de chaque
étudiant) des campagnes terminées ou échouées depuis plus de N jours (défaut :
daemon.retention_days). La campagne garde ses décomptes et son journal, qui note la
purge. Le démon le fait seul selon daemon.schedules.purge ; cette commande sert quand
il est arrêté.

Exemple :
  hypercerts purge --config /etc/hypercerts/application.yaml --days 365`

// parseFile parses flags placed before or after the one FILE argument.
func parseFile(fs *flag.FlagSet, args []string) (string, error) {
	var files []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return "", err
			}
			return "", errUsage
		}
		if fs.NArg() == 0 {
			break
		}
		files = append(files, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(files) != 1 {
		fmt.Fprintf(fs.Output(), "un seul FICHIER attendu, %d donnés\n\n", len(files))
		fs.Usage()
		return "", errUsage
	}
	return files[0], nil
}

// parseFileAndConfig parses a command's flags and its one FILE argument, then reads
// the configuration the flags name.
func parseFileAndConfig(fs *flag.FlagSet, o *appFlags, args []string) (string, *config.Config, error) {
	file, err := parseFile(fs, args)
	if err != nil {
		return "", nil, err
	}
	cfg, err := loadConfig(o)
	return file, cfg, err
}

func runBackup(ctx context.Context, env Env, args []string) error {
	fs := newFlags(env, "backup", backupSynopsis)
	o := addAppFlags(fs)
	force := fs.Bool("force", false, "remplacer FICHIER s'il existe")
	file, cfg, err := parseFileAndConfig(fs, o, args)
	if err != nil {
		return err
	}
	how, info, err := Backup(ctx, cfg, file, *force)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "sauvegarde écrite : %s (%s, %d campagnes, schéma %d, %s ; %s)\n", file, humanBytes(info.Size), info.Campaigns, info.Schema, how, filesNote(info.HubEEFiles))
	return nil
}

// Backup writes a consistent copy of cfg's store to file: through the daemon's control
// socket when one answers, from the file itself otherwise. It says which, and describes
// the copy (checked before it is renamed into place).
//
// The copy holds every student's data: it is written 0600 to a temporary file created
// exclusively beside file (safefile), never through a symbolic link, and replaces an
// existing file only with force.
//
// The HubEE files (hubee-files/ beside the base) follow the base in the same file
// (internal/backupfiles): the base part is the same copy as without them.
func Backup(ctx context.Context, cfg *config.Config, file string, force bool) (how string, info BackupInfo, err error) {
	storePath := cfg.Store.Path
	if same(file, storePath) {
		return "", info, fmt.Errorf("%s est la base elle-même : choisissez un autre fichier", file)
	}
	f, err := safefile.Create(file, safefile.Options{Force: force})
	if err != nil {
		return "", info, fmt.Errorf("sauvegarde : %w", err)
	}
	defer f.Abort() // no-op once committed
	cw := &countingWriter{w: f}
	if how, err = backupTo(ctx, cfg, cw); err != nil {
		return "", info, err
	}
	if err := f.Sync(); err != nil {
		return "", info, fmt.Errorf("sauvegarde : %w", err)
	}
	if info.FileInfo, err = control.Inspect(f.Name()); err != nil {
		return "", info, fmt.Errorf("la copie ne s'ouvre pas comme une base : %w", err)
	}
	if info.HubEEFiles, err = backupfiles.Append(f, cw.n, store.HubEEFilesDirOf(storePath)); err != nil {
		return "", info, fmt.Errorf("sauvegarde des fichiers HubEE (%s) : %w", store.HubEEFilesDirOf(storePath), err)
	}
	if err := f.Sync(); err != nil {
		return "", info, fmt.Errorf("sauvegarde : %w", err)
	}
	if err := f.Commit(); err != nil {
		return "", info, fmt.Errorf("sauvegarde : %w", err)
	}
	return how, info, nil
}

// BackupInfo describes a backup: its base, and how many HubEE files follow it.
type BackupInfo struct {
	control.FileInfo
	HubEEFiles int
}

func filesNote(n int) string {
	switch n {
	case 0:
		return "aucun fichier HubEE"
	case 1:
		return "1 fichier HubEE"
	}
	return fmt.Sprintf("%d fichiers HubEE", n)
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

func backupTo(ctx context.Context, cfg *config.Config, w io.Writer) (string, error) {
	storePath := cfg.Store.Path
	sock := control.SocketPath(storePath)
	_, err := control.Backup(ctx, sock, w)
	if err == nil {
		return "copie faite par le démon", nil
	}
	if !errors.Is(err, control.ErrNoDaemon) {
		return "", fmt.Errorf("sauvegarde par le démon : %w", err)
	}
	if _, err := os.Stat(storePath); err != nil {
		return "", fmt.Errorf("aucune base à sauvegarder (store.path = %s) : %w", storePath, err)
	}
	st, err := store.Open(storePath, cfg.Store.OpenTimeout)
	if err != nil {
		if errors.Is(err, store.ErrInUse) {
			return "", fmt.Errorf("la base %s est tenue par un processus qui ne répond pas sur %s "+
				"(une interface hypercerts ouverte, ou un démon d'une version sans socket de contrôle) : "+
				"fermez-la, ou arrêtez le démon, puis relancez la sauvegarde", storePath, sock)
		}
		return "", err
	}
	defer st.Close()
	if _, err := st.WriteTo(w); err != nil {
		return "", fmt.Errorf("sauvegarde de %s : %w", storePath, err)
	}
	return "copie directe, aucun démon en marche", nil
}

func runRestore(ctx context.Context, env Env, args []string) error {
	fs := newFlags(env, "restore", restoreSynopsis)
	o := addAppFlags(fs)
	file, cfg, err := parseFileAndConfig(fs, o, args)
	if err != nil {
		return err
	}
	kept, info, err := Restore(ctx, cfg, file)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "base restaurée : %s ← %s (%d campagnes, %s ; %s)\n", cfg.Store.Path, file, info.Campaigns, humanBytes(info.Size), filesNote(info.HubEEFiles))
	if kept != "" {
		fmt.Fprintf(env.Stdout, "l'ancienne base est gardée dans %s\n", kept)
	}
	if info.KeptFiles != "" {
		fmt.Fprintf(env.Stdout, "les anciens fichiers HubEE sont gardés dans %s\n", info.KeptFiles)
	}
	return nil
}

// ErrStoreInUse: restore refused, the store is held (daemon or TUI).
var ErrStoreInUse = errors.New("base en cours d'utilisation : restauration refusée")

// Restore puts the backup file in place of cfg's store, keeping the replaced base
// beside it (its name is returned). It refuses while a daemon or a TUI holds the store,
// and when file is not a hypercerts base this version reads.
//
// A backup carrying HubEE files puts them back too: they are unpacked beside the base
// first (a damaged archive stops the restore before anything is replaced), and the
// replaced hubee-files/ folder is kept beside it (info.KeptFiles).
func Restore(ctx context.Context, cfg *config.Config, file string) (kept string, info RestoreInfo, err error) {
	storePath := cfg.Store.Path
	if same(file, storePath) {
		return "", info, fmt.Errorf("%s est la base elle-même", file)
	}
	if info.FileInfo, err = control.Inspect(file); err != nil {
		return "", info, fmt.Errorf("%s ne peut pas être restauré : %w", file, err)
	}
	src, err := os.Open(file)
	if err != nil {
		return "", info, err
	}
	defer src.Close()
	storeLen, files, err := backupfiles.Split(src, info.Size)
	if err != nil {
		return "", info, fmt.Errorf("%s ne peut pas être restauré : %w", file, err)
	}
	info.Size = storeLen
	sock := control.SocketPath(storePath)
	if control.Running(ctx, sock) {
		return "", info, fmt.Errorf("%w : le démon tourne sur %s ; arrêtez-le (sudo systemctl stop hypercerts), restaurez, puis relancez-le", ErrStoreInUse, storePath)
	}
	unopened := false // the current base could not be opened: its journal was not replayed
	if _, err := os.Stat(storePath); err == nil {
		// Hold the lock while the file is swapped: nobody opens the old base meanwhile.
		st, err := store.Open(storePath, cfg.Store.OpenTimeout)
		if err != nil {
			if errors.Is(err, store.ErrInUse) {
				return "", info, fmt.Errorf("%w : %s est ouverte par un autre processus hypercerts (démon ou interface) ; fermez-le puis relancez", ErrStoreInUse, storePath)
			}
			// A damaged base is what one restores over: keep it as it is.
			st, unopened = nil, true
		}
		kept = store.RestoreCopyName(storePath, time.Now())
		if st != nil {
			err = safefile.Write(kept, safefile.Options{}, func(w io.Writer) error { _, err := st.WriteTo(w); return err })
			defer st.Close()
		} else {
			err = copyFile(kept, storePath, false)
		}
		if err != nil {
			return "", info, fmt.Errorf("copie de la base actuelle avant restauration : %w", err)
		}
	} else if err := os.MkdirAll(filepath.Dir(storePath), 0o700); err != nil {
		return "", info, err
	}
	filesDir := store.HubEEFilesDirOf(storePath)
	unpacked := filesDir + ".restauration"
	if files != nil {
		if _, err := os.Lstat(unpacked); err == nil {
			return kept, info, fmt.Errorf("%s existe (restauration interrompue ?) : déplacez-le puis relancez", unpacked)
		}
		if info.HubEEFiles, err = backupfiles.Extract(files, unpacked); err != nil {
			_ = os.RemoveAll(unpacked)
			return kept, info, fmt.Errorf("%s ne peut pas être restauré : %w", file, err)
		}
	}
	// The replaced base's journal (store/journal.go) must not continue the restored one.
	// Removed before the swap: after it, the journal at that path may be the restored
	// base's (a process may open it as soon as it is in place). Its writes are in the
	// kept copy (copied in when st opened the base); if the base could not be opened,
	// the journal goes beside the kept copy instead, which it continues.
	rmJournal := func(name string) error { return os.Remove(name) }
	if unopened {
		rmJournal = func(name string) error { return os.Rename(name, store.JournalPath(kept)) }
	}
	if err := rmJournal(store.JournalPath(storePath)); err != nil && !errors.Is(err, os.ErrNotExist) {
		_ = os.RemoveAll(unpacked)
		return kept, info, fmt.Errorf("restauration : journal de l'ancienne base : %w", err)
	}
	err = safefile.Write(storePath, safefile.Options{Force: true}, func(w io.Writer) error {
		_, err := io.Copy(w, io.NewSectionReader(src, 0, storeLen))
		return err
	})
	if err != nil {
		_ = os.RemoveAll(unpacked)
		return kept, info, fmt.Errorf("restauration : %w", err)
	}
	if files != nil {
		if _, err := os.Lstat(filesDir); err == nil {
			info.KeptFiles = store.RestoreCopyName(filesDir, time.Now())
			if err := os.Rename(filesDir, info.KeptFiles); err != nil {
				return kept, info, fmt.Errorf("restauration des fichiers HubEE : %w", err)
			}
		}
		if err := os.Rename(unpacked, filesDir); err != nil {
			return kept, info, fmt.Errorf("restauration des fichiers HubEE : %w", err)
		}
	}
	return kept, info, nil
}

// RestoreInfo describes a restored backup: its base, the HubEE files put back and
// where the replaced hubee-files/ folder was kept.
type RestoreInfo struct {
	control.FileInfo
	HubEEFiles int
	KeptFiles  string
}

// copyFile writes src to dst through a temporary file renamed into place (mode 0600,
// never through a symbolic link); replace: dst may exist (the store being restored).
func copyFile(dst, src string, replace bool) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	return safefile.Write(dst, safefile.Options{Force: replace}, func(w io.Writer) error { _, err := io.Copy(w, in); return err })
}

func same(a, b string) bool {
	aa, err1 := filepath.Abs(a)
	bb, err2 := filepath.Abs(b)
	if err1 != nil || err2 != nil {
		return a == b
	}
	if aa == bb {
		return true
	}
	sa, err1 := os.Stat(aa)
	sb, err2 := os.Stat(bb)
	return err1 == nil && err2 == nil && os.SameFile(sa, sb)
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f Gio", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f Mio", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f Kio", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d o", n)
}

func runPurge(ctx context.Context, env Env, args []string) error {
	fs := newFlags(env, "purge", purgeSynopsis)
	o := addAppFlags(fs)
	days := fs.Int("days", -1, "durée de conservation en jours (défaut : daemon.retention_days)")
	if err := parse(fs, args); err != nil {
		return err
	}
	a, err := app.Open(ctx, o.options(env, false))
	if err != nil {
		return err
	}
	defer a.Close()
	n := a.Config.Daemon.RetentionDays
	if *days >= 0 {
		n = *days
	}
	if n <= 0 {
		fmt.Fprintln(env.Stdout, "conservation illimitée (daemon.retention_days = 0) : rien à purger")
		return nil
	}
	rep, err := a.Engine.Purge(ctx, time.Duration(n)*24*time.Hour)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "purge (conservation %d jours) : %d campagnes purgées, %d étudiants effacés ; %d déjà purgées, %d trop récentes ; %d dossiers HubEE anonymisés\n",
		n, len(rep.Campaigns), rep.Entries, rep.Already, rep.Kept, rep.HubEECases)
	for _, id := range rep.Campaigns {
		fmt.Fprintf(env.Stdout, "  %s\n", id)
	}
	if rep.Compacted {
		fmt.Fprintln(env.Stdout, "base compactée : les données effacées ne sont plus dans le fichier ni dans les sauvegardes à venir")
	}
	for _, f := range rep.CopiesRemoved {
		fmt.Fprintf(env.Stdout, "copie d'avant restauration supprimée (conservation) : %s\n", f)
	}
	return nil
}
