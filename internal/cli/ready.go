package cli

import (
	"encoding/json"
	"os"
	"path/filepath"

	"galaxy/galaxyctl/internal/gateway"
	"galaxy/galaxyctl/internal/pipeline"
)

// readyInfo is the --ready-file contract (documented in the README); bench
// reads it from its embedded server.
type readyInfo struct {
	GRPCAddr    string `json:"grpc_addr"`
	MetricsAddr string `json:"metrics_addr,omitempty"`
	Role        string `json:"role"`
	TLS         bool   `json:"tls"`
	TLSCAFile   string `json:"tls_ca_file,omitempty"`
	PublicKey   string `json:"signing_public_key,omitempty"`
	WebURL      string `json:"web_url,omitempty"`
	PID         int    `json:"pid"`
}

func newReadyInfo(info pipeline.Info, caFile string) readyInfo {
	r := readyInfo{GRPCAddr: info.Addr, MetricsAddr: info.MetricsAddr, Role: info.Role, TLS: info.TLS,
		TLSCAFile: caFile, WebURL: info.WebURL, PID: os.Getpid()}
	if info.PublicKey != nil {
		if b, err := gateway.MarshalPublicKeyPEM(info.PublicKey); err == nil {
			r.PublicKey = string(b)
		}
	}
	return r
}

// writeJSONFile writes v atomically, as writeFileAtomic.
func writeJSONFile(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(path, append(b, '\n'))
}

// writeFileAtomic writes b to path through a temporary file and a rename,
// so a reader polling for the file never sees half of it.
func writeFileAtomic(path string, b []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".galaxyctl-*")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(b); err != nil {
		_ = tmp.Close()           // the write error is the one to report
		_ = os.Remove(tmp.Name()) // best effort, as for any temp file
		return err
	}
	if err := tmp.Close(); err != nil {
		_ = os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// writeTemp writes b to a new temporary file and returns its name. On
// failure it removes the file, which the caller never learns the name of.
func writeTemp(pattern string, b []byte) (string, error) {
	f, err := os.CreateTemp("", pattern)
	if err != nil {
		return "", err
	}
	_, err = f.Write(b)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(f.Name()) // best effort, as for any temp file
		return "", err
	}
	return f.Name(), nil
}
