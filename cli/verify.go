package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"hypercerts/attest"
	"hypercerts/domain"
	"hypercerts/pades"
	"hypercerts/store"
	"hypercerts/verify"
)

var verifyCommand = command{name: "verify", summary: "vérifier une attestation : PDF, jeton ou adresse du QR code", run: runVerify}

func runVerify(ctx context.Context, env Env, args []string) error {
	fs := newFlags(env, "verify", `hypercerts verify [--demo | --config FICHIER | --keys CLÉS.json] FICHIER.pdf|JETON|URL

Vérifie une attestation hors ligne : la signature de son QR code avec les clés
publiques de l'université, que le texte du PDF dit bien ce que le QR code atteste,
la signature électronique du PDF quand il en a une, et la révocation quand la base
est accessible. Réponse : authentique, modifiée, révoquée ou clé inconnue.

Codes de sortie : 0 authentique, 3 modifiée, 4 révoquée, 5 clé inconnue,
6 jeton ou fichier illisible, 7 authentique mais révocation non vérifiée (base
inaccessible, par exemple avec --keys), 1 erreur (fichier inaccessible), 2 usage.

Exemples :
  hypercerts verify --demo attestation.pdf
  hypercerts verify --keys cles-univ.json "https://verification.univ.fr/a/0oRDoQEn…"`)
	o := addAppFlags(fs)
	keysFile := fs.String("keys", "", "clés publiques (JWK Set de « attestation keys » ou de /.well-known/hypercerts-keys.json) au lieu de la base")
	input, err := parseWithID(fs, args)
	if err != nil {
		return err
	}
	chk := verify.Checker{PDFSignature: pades.Verify}
	if *keysFile != "" {
		data, err := os.ReadFile(*keysFile)
		if err != nil {
			return err
		}
		if chk.Keys, err = attest.ParseJWKS(data); err != nil {
			return err
		}
	}
	// The base gives the keys (unless --keys) and revocations, when it is free.
	if st, err := openStoreOnly(o, true); err == nil {
		defer st.Close()
		if *keysFile == "" {
			if chk.Keys, err = st.AttestationPublicKeys(); err != nil {
				return err
			}
		}
		chk.Revoked = func(ref string) (*domain.Revocation, error) {
			r, err := st.Revocation(ref)
			if errors.Is(err, domain.ErrNotFound) {
				return nil, nil
			}
			return &r, err
		}
	} else if *keysFile == "" {
		if errors.Is(err, store.ErrInUse) {
			return fmt.Errorf("%w\n(ou donnez les clés publiques : hypercerts verify --keys CLÉS.json)", err)
		}
		return err
	}
	var res verify.Result
	if isFile(input) {
		pdf, err := readBounded(input)
		if err != nil {
			return err
		}
		res = chk.PDF(pdf)
	} else {
		res = chk.Token(input)
	}
	res.WriteText(env.Stdout)
	if code := res.ExitCode(); code != 0 {
		what := string(res.Verdict)
		if code == verify.ExitUnchecked {
			what += ", révocation non vérifiée"
		}
		return withCode(code, fmt.Errorf("attestation %s (code de sortie %d)", what, code))
	}
	return nil
}

// isFile tells a file from a token or URL: a name ending in .pdf, or any existing
// file (a download without extension). A token has no "/" and is never a file name
// one would have.
func isFile(input string) bool {
	if strings.HasSuffix(strings.ToLower(input), ".pdf") {
		return true
	}
	if strings.Contains(input, "://") {
		return false
	}
	fi, err := os.Stat(input)
	return err == nil && !fi.IsDir()
}

// maxPDF bounds what verify reads: an attestation is ~100 KB; a file a stranger hands
// over must not fill the memory.
const maxPDF = 32 << 20

func readBounded(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxPDF+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxPDF {
		return nil, withCode(verify.ExitInvalid, fmt.Errorf("%s : plus de %d Mio, ce n'est pas une attestation", path, maxPDF>>20))
	}
	return data, nil
}
