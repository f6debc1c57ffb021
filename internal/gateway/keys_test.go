package gateway

import (
	"bytes"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeFile writes b to a fresh file and returns its path.
func writeFile(t *testing.T, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestLoadOpenSSLKeys reads keys that openssl wrote (testdata, made with
// "openssl genpkey -algorithm ed25519" and "openssl pkey -pubout"), the
// formats operators will hand to --signing-key and --verify-key.
func TestLoadOpenSSLKeys(t *testing.T) {
	priv, err := LoadSigningKey("testdata/ed25519.pem")
	if err != nil {
		t.Fatalf("LoadSigningKey(testdata/ed25519.pem) = %v, want nil", err)
	}
	pub, err := LoadPublicKey("testdata/ed25519.pub")
	if err != nil {
		t.Fatalf("LoadPublicKey(testdata/ed25519.pub) = %v, want nil", err)
	}
	if !pub.Equal(priv.Public()) {
		t.Fatalf("LoadPublicKey(testdata/ed25519.pub) = %x, want the public half of ed25519.pem %x", pub, priv.Public())
	}
	ev := sampleEvent()
	if err := Sign(priv, ev); err != nil {
		t.Fatal(err)
	}
	if !Verify(pub, ev) {
		t.Errorf("Verify(openssl public key, event signed with openssl private key) = false, want true")
	}
}

func TestPublicKeyRoundTrip(t *testing.T) {
	priv, err := GenerateSigningKey()
	if err != nil {
		t.Fatalf("GenerateSigningKey() = %v", err)
	}
	pub := priv.Public().(ed25519.PublicKey)
	pemBytes, err := MarshalPublicKeyPEM(pub)
	if err != nil {
		t.Fatalf("MarshalPublicKeyPEM() = %v", err)
	}
	if !bytes.HasPrefix(pemBytes, []byte("-----BEGIN PUBLIC KEY-----\n")) {
		t.Errorf("MarshalPublicKeyPEM() = %q, want a PUBLIC KEY block", pemBytes)
	}
	for name, content := range map[string][]byte{
		"pem":            pemBytes,
		"base64":         []byte(base64.StdEncoding.EncodeToString(pub)),
		"base64 newline": []byte(base64.StdEncoding.EncodeToString(pub) + "\n"),
	} {
		got, err := LoadPublicKey(writeFile(t, "key", content))
		if err != nil || !got.Equal(pub) {
			t.Errorf("LoadPublicKey(%s) = %x, %v, want %x, nil", name, got, err, pub)
		}
	}
}

func TestGenerateSigningKey(t *testing.T) {
	a, errA := GenerateSigningKey()
	b, errB := GenerateSigningKey()
	if errA != nil || errB != nil || len(a) != ed25519.PrivateKeySize || a.Equal(b) {
		t.Errorf("GenerateSigningKey() twice = %d bytes, %v; %v; equal %v, want two distinct %d-byte keys",
			len(a), errA, errB, a.Equal(b), ed25519.PrivateKeySize)
	}
}

func TestLoadSigningKeyFromGo(t *testing.T) {
	want := testKey
	der, err := x509.MarshalPKCS8PrivateKey(want)
	if err != nil {
		t.Fatal(err)
	}
	p := writeFile(t, "key.pem", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	got, err := LoadSigningKey(p)
	if err != nil || !got.Equal(want) {
		t.Errorf("LoadSigningKey(PKCS#8 from Go) = %x, %v, want %x, nil", got, err, want)
	}
}

func TestLoadKeyErrors(t *testing.T) {
	pubPEM, err := os.ReadFile("testdata/ed25519.pub")
	if err != nil {
		t.Fatal(err)
	}
	privPEM, err := os.ReadFile("testdata/ed25519.pem")
	if err != nil {
		t.Fatal(err)
	}
	short := base64.StdEncoding.EncodeToString(make([]byte, 31))
	garbage := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte("not DER")})
	tests := []struct {
		name    string
		load    func(string) error
		path    string // a testdata file, or "" to write content
		content []byte
		want    []string // substrings of the error, besides the path
	}{
		{"signing key missing", loadPriv, filepath.Join(t.TempDir(), "absent.pem"), nil, []string{"no such file"}},
		{"signing key not PEM", loadPriv, "", []byte("hello"), []string{"no PEM block", "PKCS#8 Ed25519"}},
		{"signing key is public", loadPriv, "", pubPEM, []string{`"PUBLIC KEY"`, `want a PEM "PRIVATE KEY"`}},
		{"signing key is ECDSA", loadPriv, "testdata/p256.pem", nil, []string{"an ECDSA private key", "Ed25519"}},
		{"signing key bad DER", loadPriv, "", garbage, []string{"PKCS#8 Ed25519"}},
		{"public key missing", loadPub, filepath.Join(t.TempDir(), "absent.pub"), nil, []string{"no such file"}},
		{"public key is private", loadPub, "", privPEM, []string{"private key", "public half"}},
		{"public key is ECDSA", loadPub, "testdata/p256.pub", nil, []string{"an ECDSA public key", "Ed25519"}},
		{"public key 31 bytes", loadPub, "", []byte(short), []string{"base64 of 32 bytes"}},
		{"public key not base64", loadPub, "", []byte("not a key!"), []string{"neither PEM nor"}},
		{"public key other PEM", loadPub, "", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte{1}}), []string{`"CERTIFICATE"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := tt.path
			if path == "" {
				path = writeFile(t, "key", tt.content)
			}
			err := tt.load(path)
			if err == nil {
				t.Fatalf("load(%s) = nil, want an error", path)
			}
			for _, w := range append(tt.want, path) {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("load(%s) = %q, want it to mention %q", path, err, w)
				}
			}
		})
	}
}

func loadPriv(p string) error { _, err := LoadSigningKey(p); return err }
func loadPub(p string) error  { _, err := LoadPublicKey(p); return err }

func TestMarshalPublicKeyPEMRejectsBadKey(t *testing.T) {
	if b, err := MarshalPublicKeyPEM(make(ed25519.PublicKey, 31)); err == nil {
		t.Errorf("MarshalPublicKeyPEM(31 bytes) = %q, nil, want an error", b)
	}
}
