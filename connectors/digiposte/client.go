// Package digiposte delivers attestations into students' Digiposte vaults (R19–R22)
// through the file exchange Digiposte offers its B2B senders: zips dropped over SFTP
// (adhesions, then documents) and status returns read back.
//
// Client is the SFTP implementation of domain.Vault, LocalDir the same exchange in a
// local folder (demo), and Simulator plays Digiposte on such a folder. The file contract
// itself (names, folders, columns) lives in format.go only; see README.md.
package digiposte

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"hypercerts/domain"
)

// Config is how to reach the Digiposte SFTP server.
type Config struct {
	Addr string // host or host:port (port 22 by default)
	User string
	// Password, when the server takes one; the caller reads it from the environment
	// variable named in the configuration. Never logged.
	Password string
	// KeyFile is a private key (OpenSSH or PEM); KeyPassphrase when it is encrypted.
	KeyFile       string
	KeyPassphrase string
	// Signer may be given instead of KeyFile (tests, keys from an agent).
	Signer ssh.Signer

	// KnownHostsFile lists the server's accepted host keys (OpenSSH known_hosts format).
	KnownHostsFile string
	// InsecureIgnoreHostKey accepts any host key. Never in production: anyone between
	// us and Digiposte could read every attestation.
	InsecureIgnoreHostKey bool

	// RemoteDir is the base folder on the server ("" = the login folder); the folders
	// of Format are relative to it.
	RemoteDir string
	// CreateDirs creates the Format's folders under RemoteDir when missing (demo and
	// test servers; Digiposte's own server has them already).
	CreateDirs bool

	DialTimeout time.Duration // TCP connect + SSH handshake; default 20s
	// IOTimeout: a server that answers no keep-alive for this long is given up and the
	// call fails as transient; default 60s (keep-alives every IOTimeout/3).
	IOTimeout time.Duration

	Format Format
	Log    *slog.Logger
	// Now is the clock (zip timestamps); default time.Now.
	Now func() time.Time
}

// Client is domain.Vault over SFTP. It opens one SSH connection per call and closes it
// afterwards: a cycle makes a handful of calls a day, and a fresh connection per call
// survives server restarts without any reconnect logic.
type Client struct {
	exchange
	cfg     Config
	ssh     *ssh.ClientConfig
	dirsMu  sync.Mutex
	dirsOK  bool
	sftpOps []sftp.ClientOption
}

var _ domain.Vault = (*Client)(nil)

// New checks the configuration, reads the key and known_hosts, and returns a Client.
// It does not connect: use Check for that.
func New(cfg Config) (*Client, error) {
	if cfg.Addr == "" || cfg.User == "" {
		return nil, errors.New("digiposte : adresse du serveur SFTP et utilisateur obligatoires (digiposte.sftp.host, digiposte.sftp.user)")
	}
	if _, _, err := net.SplitHostPort(cfg.Addr); err != nil {
		cfg.Addr = net.JoinHostPort(strings.Trim(cfg.Addr, "[]"), "22")
	}
	if cfg.DialTimeout <= 0 {
		cfg.DialTimeout = 20 * time.Second
	}
	if cfg.IOTimeout <= 0 {
		cfg.IOTimeout = 60 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	cfg.Format = cfg.Format.WithDefaults()
	if err := cfg.Format.Validate(); err != nil {
		return nil, err
	}

	var auths []ssh.AuthMethod
	signer := cfg.Signer
	if signer == nil && cfg.KeyFile != "" {
		s, err := loadKey(cfg.KeyFile, cfg.KeyPassphrase)
		if err != nil {
			return nil, err
		}
		signer = s
	}
	if signer != nil {
		auths = append(auths, ssh.PublicKeys(signer))
	}
	if cfg.Password != "" {
		pw := cfg.Password
		auths = append(auths, ssh.Password(pw),
			ssh.KeyboardInteractive(func(_, _ string, qs []string, _ []bool) ([]string, error) {
				a := make([]string, len(qs))
				for i := range a {
					a[i] = pw
				}
				return a, nil
			}))
	}
	if len(auths) == 0 {
		return nil, errors.New("digiposte : ni clé privée (digiposte.sftp.key_file) ni mot de passe (variable d'environnement nommée par digiposte.sftp.password_env) : impossible de s'authentifier")
	}

	sc := &ssh.ClientConfig{User: cfg.User, Auth: auths, Timeout: cfg.DialTimeout}
	if cfg.InsecureIgnoreHostKey {
		sc.HostKeyCallback = ssh.InsecureIgnoreHostKey() //nolint:gosec // explicitly configured
		cfg.Log.Warn("Digiposte : clé d'hôte SFTP NON vérifiée (insecure_ignore_host_key) : à n'utiliser qu'en test")
	} else {
		if cfg.KnownHostsFile == "" {
			return nil, errors.New("digiposte : digiposte.sftp.known_hosts manquant : indiquez le fichier known_hosts qui contient la clé du serveur (ssh-keyscan), ou, en test seulement, insecure_ignore_host_key: true")
		}
		cb, err := knownhosts.New(cfg.KnownHostsFile)
		if err != nil {
			return nil, fmt.Errorf("digiposte : fichier known_hosts %s illisible (%v) : créez-le avec « ssh-keyscan -p PORT HÔTE > %s » puis vérifiez l'empreinte auprès de Digiposte", cfg.KnownHostsFile, err, cfg.KnownHostsFile)
		}
		sc.HostKeyCallback = cb
		// Only negotiate the key types we know for this host: otherwise a server
		// offering another type first would look like a changed key.
		sc.HostKeyAlgorithms = knownAlgorithms(cb, cfg.Addr)
	}

	c := &Client{cfg: cfg, ssh: sc, sftpOps: []sftp.ClientOption{
		sftp.UseConcurrentWrites(true),
		sftp.MaxConcurrentRequestsPerFile(64),
	}}
	c.exchange = exchange{f: cfg.Format, system: "SFTP Digiposte", now: cfg.Now, log: cfg.Log, bufSize: 256 << 10}
	c.exchange.open = c.openFS
	return c, nil
}

func loadKey(file, pass string) (ssh.Signer, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("digiposte : clé privée %s illisible : %v", file, err)
	}
	s, err := ssh.ParsePrivateKey(b)
	var missing *ssh.PassphraseMissingError
	if errors.As(err, &missing) {
		if pass == "" {
			return nil, fmt.Errorf("digiposte : la clé privée %s est chiffrée : donnez sa phrase de passe (variable d'environnement nommée par digiposte.sftp.key_passphrase_env)", file)
		}
		s, err = ssh.ParsePrivateKeyWithPassphrase(b, []byte(pass))
	}
	if err != nil {
		return nil, fmt.Errorf("digiposte : clé privée %s invalide : %v", file, err)
	}
	return s, nil
}

// knownAlgorithms lists the host key algorithms known_hosts holds for addr (nil: let
// the library choose, and the callback will refuse an unknown host).
func knownAlgorithms(cb ssh.HostKeyCallback, addr string) []string {
	// Ask the callback about a key that cannot be known: its KeyError lists the keys
	// that are.
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil
	}
	probe, err := ssh.NewPublicKey(pub)
	if err != nil {
		return nil
	}
	remote := &net.TCPAddr{IP: net.IPv4zero}
	host, port, _ := net.SplitHostPort(addr)
	if ip := net.ParseIP(host); ip != nil {
		remote.IP = ip
	}
	fmt.Sscan(port, &remote.Port)
	var ke *knownhosts.KeyError
	if !errors.As(cb(addr, remote, probe), &ke) || len(ke.Want) == 0 {
		return nil
	}
	seen := map[string]bool{}
	var algos []string
	add := func(a ...string) {
		for _, s := range a {
			if !seen[s] {
				seen[s] = true
				algos = append(algos, s)
			}
		}
	}
	for _, k := range ke.Want {
		switch t := k.Key.Type(); t {
		case ssh.KeyAlgoRSA:
			add(ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSA)
		default:
			add(t)
		}
	}
	return algos
}

// hostKeyError turns a refused host key into what the operator must do.
func (c *Client) hostKeyError(key ssh.PublicKey, err error) error {
	fp := ssh.FingerprintSHA256(key)
	line := knownhosts.Line([]string{knownhosts.Normalize(c.cfg.Addr)}, key)
	var ke *knownhosts.KeyError
	if errors.As(err, &ke) && len(ke.Want) > 0 {
		return &domain.ExternalError{System: "SFTP Digiposte", Op: "connexion", Kind: domain.ErrPermanent, Err: err,
			Msg: fmt.Sprintf("la clé d'hôte du serveur %s a CHANGÉ (%s %s, attendue d'après %s:%d) : connexion refusée. "+
				"Ce peut être une attaque : ne continuez pas sans avoir obtenu de Digiposte la nouvelle empreinte ; si elle correspond, remplacez la ligne %d de %s par : %s",
				c.cfg.Addr, key.Type(), fp, ke.Want[0].Filename, ke.Want[0].Line, ke.Want[0].Line, ke.Want[0].Filename, line)}
	}
	return &domain.ExternalError{System: "SFTP Digiposte", Op: "connexion", Kind: domain.ErrPermanent, Err: err,
		Msg: fmt.Sprintf("clé d'hôte inconnue pour le serveur %s (%s %s) : connexion refusée. "+
			"Vérifiez cette empreinte auprès de Digiposte, puis ajoutez à %s la ligne : %s",
			c.cfg.Addr, key.Type(), fp, c.cfg.KnownHostsFile, line)}
}

// Check connects, opens the SFTP session and looks for the Format's folders: what a
// "test the connection" button or the daemon's start-up needs.
func (c *Client) Check(ctx context.Context) error {
	rfs, done, err := c.openFS(ctx)
	if err != nil {
		return err
	}
	defer done()
	for _, d := range []string{c.cfg.Format.AdhesionDir, c.cfg.Format.DepositDir, c.cfg.Format.ReturnDir} {
		if _, err := rfs.Stat(d); err != nil {
			return c.fail(ctx, rfs, "vérification des dossiers", d, path.Join(c.cfg.RemoteDir, d), err)
		}
	}
	return nil
}

// openFS dials, authenticates, starts SFTP and returns the file system and its closer.
// The connection is watched: keep-alives, and closed when ctx is done.
func (c *Client) openFS(ctx context.Context) (remoteFS, func(), error) {
	const op = "connexion"
	fail := func(kind error, msg string, err error) (remoteFS, func(), error) {
		return nil, nil, &domain.ExternalError{System: "SFTP Digiposte", Op: op, Kind: kind, Msg: msg, Err: err}
	}
	d := net.Dialer{Timeout: c.cfg.DialTimeout}
	conn, err := d.DialContext(ctx, "tcp", c.cfg.Addr)
	if err != nil {
		if ctx.Err() != nil {
			return fail(domain.ErrTransient, "interrompu", ctx.Err())
		}
		return fail(domain.ErrTransient, fmt.Sprintf("serveur %s injoignable (%v) : serveur arrêté ou réseau coupé ; nouvel essai au prochain cycle", c.cfg.Addr, err), err)
	}
	_ = conn.SetDeadline(time.Now().Add(c.cfg.DialTimeout))

	// One callback per connection, to keep the refused key for the message.
	cfg := *c.ssh
	var refused error
	if !c.cfg.InsecureIgnoreHostKey {
		cb := c.ssh.HostKeyCallback
		cfg.HostKeyCallback = func(host string, remote net.Addr, key ssh.PublicKey) error {
			if err := cb(host, remote, key); err != nil {
				refused = c.hostKeyError(key, err)
				return refused
			}
			return nil
		}
	}
	sconn, chans, reqs, err := ssh.NewClientConn(conn, c.cfg.Addr, &cfg)
	if err != nil {
		conn.Close()
		switch {
		case refused != nil:
			return nil, nil, refused
		case strings.Contains(err.Error(), "unable to authenticate"):
			return fail(domain.ErrPermanent, fmt.Sprintf("authentification refusée pour l'utilisateur %q sur %s : vérifiez la clé (ou le mot de passe) et qu'elle est bien déclarée chez Digiposte", c.cfg.User, c.cfg.Addr), err)
		default:
			return fail(domain.ErrTransient, fmt.Sprintf("échec de la négociation SSH avec %s (%v) ; nouvel essai au prochain cycle", c.cfg.Addr, err), err)
		}
	}
	_ = conn.SetDeadline(time.Time{})
	client := ssh.NewClient(sconn, chans, reqs)
	sc, err := sftp.NewClient(client, c.sftpOps...)
	if err != nil {
		client.Close()
		return fail(domain.ErrPermanent, fmt.Sprintf("le serveur %s n'offre pas le sous-système SFTP (%v)", c.cfg.Addr, err), err)
	}

	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // keep-alive and cancellation watchdog
		defer wg.Done()
		t := time.NewTicker(c.cfg.IOTimeout / 3)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-ctx.Done():
				client.Close()
				return
			case <-t.C:
				res := make(chan error, 1)
				go func() {
					_, _, err := client.SendRequest("keepalive@openssh.com", true, nil)
					res <- err
				}()
				timer := time.NewTimer(c.cfg.IOTimeout)
				select {
				case err := <-res:
					timer.Stop()
					if err != nil {
						return // connection gone: the operation in flight reports it
					}
				case <-timer.C:
					c.cfg.Log.Warn("Digiposte : le serveur SFTP ne répond plus, connexion abandonnée", "serveur", c.cfg.Addr, "délai", c.cfg.IOTimeout)
					client.Close()
					return
				case <-stop:
					timer.Stop()
					return
				case <-ctx.Done():
					timer.Stop()
					client.Close()
					return
				}
			}
		}
	}()
	done := func() {
		close(stop)
		sc.Close()
		client.Close()
		wg.Wait()
	}
	rfs := newSFTPFS(sc, c.cfg.RemoteDir)
	if c.cfg.CreateDirs {
		if err := c.createDirs(rfs); err != nil {
			done()
			return nil, nil, c.fail(ctx, rfs, "création des dossiers", c.cfg.RemoteDir, c.cfg.RemoteDir, err)
		}
	}
	return rfs, done, nil
}

func (c *Client) createDirs(rfs remoteFS) error {
	c.dirsMu.Lock()
	defer c.dirsMu.Unlock()
	if c.dirsOK {
		return nil
	}
	f := c.cfg.Format
	for _, d := range []string{f.AdhesionDir, f.DepositDir, f.ReturnDir, f.ArchiveDir} {
		if err := rfs.MkdirAll(d); err != nil {
			return err
		}
	}
	c.dirsOK = true
	return nil
}
