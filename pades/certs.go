package pades

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"time"

	"software.sslmate.com/src/go-pkcs12"
)

// LoadPEM reads a certificate chain (signer first) from a PEM file and the private key
// from keyPEM (PKCS#8, SEC 1 or PKCS#1), as given by an environment variable.
func LoadPEM(certFile string, keyPEM []byte) (Signer, error) {
	data, err := os.ReadFile(certFile)
	if err != nil {
		return Signer{}, fmt.Errorf("certificat de signature : %w", err)
	}
	var certs []*x509.Certificate
	for rest := data; ; {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return Signer{}, fmt.Errorf("certificat de signature %s : %w", certFile, err)
		}
		certs = append(certs, c)
	}
	if len(certs) == 0 {
		return Signer{}, fmt.Errorf("certificat de signature %s : aucun certificat PEM", certFile)
	}
	b, _ := pem.Decode(keyPEM)
	if b == nil {
		return Signer{}, errors.New("clé de signature : PEM attendu (-----BEGIN PRIVATE KEY-----)")
	}
	key, err := parseKey(b.Bytes)
	if err != nil {
		return Signer{}, err
	}
	return newSigner(certs[0], certs[1:], key)
}

// LoadPKCS12 reads a PKCS#12 file (.p12, .pfx) with its password.
func LoadPKCS12(file, password string) (Signer, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return Signer{}, fmt.Errorf("certificat de signature : %w", err)
	}
	key, cert, chain, err := pkcs12.DecodeChain(data, password)
	if err != nil {
		return Signer{}, fmt.Errorf("certificat de signature %s : %w", file, err)
	}
	return newSigner(cert, chain, key)
}

func parseKey(der []byte) (crypto.PrivateKey, error) {
	if k, err := x509.ParsePKCS8PrivateKey(der); err == nil {
		return k, nil
	}
	if k, err := x509.ParseECPrivateKey(der); err == nil {
		return k, nil
	}
	if k, err := x509.ParsePKCS1PrivateKey(der); err == nil {
		return k, nil
	}
	return nil, errors.New("clé de signature illisible (PKCS#8, EC ou RSA attendue)")
}

func newSigner(cert *x509.Certificate, chain []*x509.Certificate, key crypto.PrivateKey) (Signer, error) {
	s, ok := key.(crypto.Signer)
	if !ok {
		return Signer{}, errors.New("clé de signature : type non pris en charge")
	}
	type publicKey interface{ Equal(crypto.PublicKey) bool }
	if pk, ok := s.Public().(publicKey); !ok || !pk.Equal(cert.PublicKey) {
		return Signer{}, errors.New("la clé de signature ne correspond pas au certificat")
	}
	tpl, err := newCMSTemplate(cert, chain, s.Public())
	if err != nil {
		return Signer{}, err
	}
	return Signer{Cert: cert, Chain: chain, Key: s, tpl: tpl}, nil
}

// Demo file names, in the demo folder.
const (
	DemoCAFile   = "demo-ca.pem"
	DemoCertFile = "demo-signature.pem"
	DemoKeyFile  = "demo-signature-key.pem"
)

// EnsureDemo gives the demo's signer: on first start it creates a demo CA and a signing
// certificate it issues (ECDSA P-256), in dir; later starts read them back. The CA's
// key is not kept: the demo CA issues one certificate only.
func EnsureDemo(dir, university string, now time.Time) (Signer, error) {
	certFile, keyFile := filepath.Join(dir, DemoCertFile), filepath.Join(dir, DemoKeyFile)
	if key, err := os.ReadFile(keyFile); err == nil {
		return LoadPEM(certFile, key)
	}
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return Signer{}, err
	}
	name := func(cn string) pkix.Name {
		return pkix.Name{CommonName: cn, Organization: []string{university}, Country: []string{"FR"}}
	}
	caTpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: name("AC de démonstration hypercerts (non officielle)"),
		NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(10, 0, 0), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTpl, caTpl, caKey.Public(), caKey)
	if err != nil {
		return Signer{}, err
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return Signer{}, err
	}
	tpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: name(university + " — scolarité (démonstration)"),
		NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(5, 0, 0),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
		// NSS (pdfsig) checks a signer certificate for e-mail protection usage.
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageEmailProtection}}
	der, err := x509.CreateCertificate(rand.Reader, tpl, ca, key.Public(), caKey)
	if err != nil {
		return Signer{}, err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return Signer{}, err
	}
	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})
	certPEM := append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), caPEM...)
	if err := os.WriteFile(filepath.Join(dir, DemoCAFile), caPEM, 0o644); err != nil {
		return Signer{}, err
	}
	if err := os.WriteFile(certFile, certPEM, 0o644); err != nil {
		return Signer{}, err
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		return Signer{}, err
	}
	c, _ := x509.ParseCertificate(der)
	return newSigner(c, []*x509.Certificate{ca}, key)
}

// IsPKCS12 tells a PKCS#12 file by its name.
func IsPKCS12(file string) bool {
	ext := strings.ToLower(filepath.Ext(file))
	return ext == ".p12" || ext == ".pfx"
}
