package config

import (
	"fmt"
	"net"
	"os"
	"strings"
)

// SecurityWarnings lists, in French, what in this configuration exposes secrets or data
// (the daemon logs them at start, doctor shows them): key files readable by other
// users, and metrics served beyond the loopback interface (the Prometheus page tells
// campaign activity to anyone who reaches it, and is not authenticated).
func (c *Config) SecurityWarnings() []string {
	var out []string
	keys := []struct{ what, path string }{
		{"clé d'hôte SSH (daemon.ssh.host_key)", c.Daemon.SSH.HostKey},
		{"clé SFTP Digiposte (digiposte.sftp.key_file)", c.Digiposte.SFTP.KeyFile},
	}
	if isPKCS12Name(c.Signing.Certificate) { // a PKCS#12 file carries the private key
		keys = append(keys, struct{ what, path string }{"certificat de signature avec sa clé (signing.certificate)", c.Signing.Certificate})
	}
	for _, k := range keys {
		if k.path == "" {
			continue
		}
		fi, err := os.Stat(k.path)
		if err != nil {
			continue // absent: created at first start (host key) or reported elsewhere
		}
		if perm := fi.Mode().Perm(); perm&0o077 != 0 {
			out = append(out, fmt.Sprintf("%s %s lisible par d'autres utilisateurs (mode %04o) : chmod 600 %s", k.what, k.path, perm, k.path))
		}
	}
	if l := c.Daemon.Metrics.Listen; l != "" && !loopbackListen(l) {
		out = append(out, fmt.Sprintf("métriques servies au-delà de la machine (daemon.metrics.listen = %q, sans authentification) : "+
			"écoutez sur 127.0.0.1 ou filtrez le port au pare-feu", l))
	}
	return out
}

// loopbackListen: ":9090" means 127.0.0.1 (metrics.ListenAddr); a host name other than
// localhost, 0.0.0.0, :: or a routable address is beyond loopback.
func loopbackListen(listen string) bool {
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return false
	}
	if host == "" || strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func isPKCS12Name(path string) bool {
	p := strings.ToLower(path)
	return strings.HasSuffix(p, ".p12") || strings.HasSuffix(p, ".pfx")
}
