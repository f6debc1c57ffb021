package gateway

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"os"
)

// PEM block types of the keys the gateway reads and writes.
const (
	pemPrivateKey = "PRIVATE KEY" // PKCS#8
	pemPublicKey  = "PUBLIC KEY"  // PKIX
)

// wantPrivate and wantPublic end the errors of the key loaders, so a user
// learns what to give instead.
const (
	wantPrivate = `want a PEM "PRIVATE KEY" block holding a PKCS#8 Ed25519 key, as "openssl genpkey -algorithm ed25519" writes`
	wantPublic  = `want a PEM "PUBLIC KEY" block holding a PKIX Ed25519 key ("openssl pkey -in KEY -pubout" writes one), or the base64 of a 32-byte Ed25519 public key`
)

// GenerateSigningKey returns a new random Ed25519 private key.
func GenerateSigningKey() (ed25519.PrivateKey, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate signing key: %w", err)
	}
	return priv, nil
}

// LoadSigningKey reads a PEM-encoded PKCS#8 Ed25519 private key from path.
func LoadSigningKey(path string) (ed25519.PrivateKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read signing key: %w", err)
	}
	block, _ := pem.Decode(b)
	if block == nil {
		return nil, fmt.Errorf("signing key %s: no PEM block found; %s", path, wantPrivate)
	}
	if block.Type != pemPrivateKey {
		return nil, fmt.Errorf("signing key %s: PEM block is %q; %s", path, block.Type, wantPrivate)
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("signing key %s: %w; %s", path, err, wantPrivate)
	}
	priv, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("signing key %s: %s private key; %s", path, keyKind(k), wantPrivate)
	}
	return priv, nil
}

// LoadPublicKey reads an Ed25519 public key from path: a PEM PKIX "PUBLIC
// KEY" block, or the bare base64 of the 32 key bytes.
func LoadPublicKey(path string) (ed25519.PublicKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read public key: %w", err)
	}
	block, _ := pem.Decode(b)
	if block == nil {
		raw, err := base64.StdEncoding.DecodeString(string(bytes.TrimSpace(b)))
		if err != nil || len(raw) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("public key %s: neither PEM nor the base64 of %d bytes; %s", path, ed25519.PublicKeySize, wantPublic)
		}
		return ed25519.PublicKey(raw), nil
	}
	switch block.Type {
	case pemPublicKey:
	case pemPrivateKey, "ED25519 PRIVATE KEY", "OPENSSH PRIVATE KEY":
		return nil, fmt.Errorf("public key %s: this is a private key, give its public half; %s", path, wantPublic)
	default:
		return nil, fmt.Errorf("public key %s: PEM block is %q; %s", path, block.Type, wantPublic)
	}
	k, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("public key %s: %w; %s", path, err, wantPublic)
	}
	pub, ok := k.(ed25519.PublicKey)
	if !ok {
		return nil, fmt.Errorf("public key %s: %s public key; %s", path, keyKind(k), wantPublic)
	}
	return pub, nil
}

// MarshalPublicKeyPEM encodes pub as a PEM PKIX "PUBLIC KEY" block, the form
// LoadPublicKey and openssl read.
func MarshalPublicKeyPEM(pub ed25519.PublicKey) ([]byte, error) {
	if len(pub) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("marshal public key: %d bytes, want %d", len(pub), ed25519.PublicKeySize)
	}
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("marshal public key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: pemPublicKey, Bytes: der}), nil
}

// keyKind names the algorithm of a key that is not Ed25519, for errors.
func keyKind(k any) string {
	switch k.(type) {
	case *rsa.PrivateKey, *rsa.PublicKey:
		return "an RSA"
	case *ecdsa.PrivateKey, *ecdsa.PublicKey:
		return "an ECDSA"
	default:
		return fmt.Sprintf("a %T", k)
	}
}
