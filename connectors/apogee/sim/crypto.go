package sim

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"database/sql/driver"
	"errors"
	"fmt"

	"modernc.org/sqlite"
)

// The demo stand-in for Apogée's PL/SQL PKB_CRY1.decryptLob.
//
// Scheme (demo only, documented in docs/apogee-sim.md): the stored blob is
// IV (16 bytes) || AES-256-CTR(plain), with the AES key = SHA-256(key text).
// There is no authentication tag, like a raw block cipher in Oracle: a wrong key
// yields garbage, which the reader detects because it is not a PNG/JPEG image.

// DecryptFunc is the SQL function name registered with modernc sqlite.
const DecryptFunc = "pkb_cry1_decryptlob"

func init() {
	sqlite.MustRegisterDeterministicScalarFunction(DecryptFunc, 2, func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
		if args[0] == nil {
			return nil, nil
		}
		var blob []byte
		switch v := args[0].(type) {
		case []byte:
			blob = v
		case string:
			blob = []byte(v)
		default:
			return nil, fmt.Errorf("%s: blob attendu, reçu %T", DecryptFunc, args[0])
		}
		key := fmt.Sprint(args[1])
		if b, ok := args[1].([]byte); ok {
			key = string(b)
		}
		return DecryptLob(blob, key)
	})
}

// EncryptLob encrypts plain with key; iv must be 16 bytes (the generator derives it
// from the seed so the dataset stays deterministic).
func EncryptLob(plain []byte, key string, iv []byte) ([]byte, error) {
	if len(iv) != aes.BlockSize {
		return nil, errors.New("EncryptLob: IV de 16 octets attendu")
	}
	k := sha256.Sum256([]byte(key))
	block, err := aes.NewCipher(k[:])
	if err != nil {
		return nil, err
	}
	out := make([]byte, aes.BlockSize+len(plain))
	copy(out, iv)
	cipher.NewCTR(block, iv).XORKeyStream(out[aes.BlockSize:], plain)
	return out, nil
}

// DecryptLob is the inverse of EncryptLob.
func DecryptLob(blob []byte, key string) ([]byte, error) {
	if len(blob) < aes.BlockSize {
		return nil, errors.New("PKB_CRY1.decryptLob : blob trop court")
	}
	k := sha256.Sum256([]byte(key))
	block, err := aes.NewCipher(k[:])
	if err != nil {
		return nil, err
	}
	out := make([]byte, len(blob)-aes.BlockSize)
	cipher.NewCTR(block, blob[:aes.BlockSize]).XORKeyStream(out, blob[aes.BlockSize:])
	return out, nil
}
