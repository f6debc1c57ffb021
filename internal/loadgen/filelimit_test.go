package loadgen

import (
	"errors"
	"testing"

	"galaxy/galaxyctl/internal/loadgen/report"
)

func TestCheckFileLimit(t *testing.T) {
	tests := []struct {
		clients, perConn int
		soft             uint64
		want             string
	}{
		{30000, 1, 20000, "Clients 30000 needs about 30064 open files but the limit is 20000; lower Clients, raise StreamsPerConn, or raise ulimit -n"},
		{30000, 2, 20000, ""},
		{30000, 3, 10064, ""},
		{30000, 3, 10063, "Clients 30000 needs about 10064 open files but the limit is 10063; lower Clients, raise StreamsPerConn, or raise ulimit -n"},
		{1, 1, 65, ""},
		{1, 1, 64, "Clients 1 needs about 65 open files but the limit is 64; lower Clients, raise StreamsPerConn, or raise ulimit -n"},
		{1_000_000, 1, ^uint64(0), ""},
		{7, 0, 100, ""}, // 0 streams per connection counts as 1
	}
	for _, tt := range tests {
		err := CheckFileLimit(tt.clients, tt.perConn, tt.soft)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tt.want {
			t.Errorf("CheckFileLimit(%d, %d, %d) = %q, want %q", tt.clients, tt.perConn, tt.soft, got, tt.want)
		}
	}
}

// The error is typed, so a command can name its flags for the fields.
func TestFileLimitErrorNamed(t *testing.T) {
	err := CheckFileLimit(30000, 1, 20000)
	var fe *FileLimitError
	if !errors.As(err, &fe) {
		t.Fatalf("CheckFileLimit(30000, 1, 20000) = %T, want *FileLimitError", err)
	}
	flags := map[string]string{"Clients": "--clients", "StreamsPerConn": "--streams-per-conn"}
	name := func(h report.Hint) string {
		if h.Value == "" {
			return flags[h.Field]
		}
		return flags[h.Field] + " " + h.Value
	}
	want := "--clients 30000 needs about 30064 open files but the limit is 20000; lower --clients, raise --streams-per-conn, or raise ulimit -n"
	if got := fe.Note().Text(name); got != want {
		t.Errorf("FileLimitError.Note().Text(flags) = %q, want %q", got, want)
	}
	if fe.Need != 30064 || fe.Limit != 20000 || fe.Clients != 30000 || fe.StreamsPerConn != 1 {
		t.Errorf("FileLimitError = %+v, want need 30064 limit 20000 clients 30000 streams 1", *fe)
	}
}
