package wire

import "testing"

func record(typ byte, payload []byte) []byte {
	return append([]byte{typ, 3, 3, byte(len(payload) >> 8), byte(len(payload))}, payload...)
}

func TestTLSDecoder(t *testing.T) {
	b := concat(
		record(22, make([]byte, 300)),
		record(20, []byte{1}),
		record(23, make([]byte, 33+1+16)), // a TLS 1.3 heartbeat: 33 + type + tag
		record(23, nil),
		record(21, make([]byte, 2)),
	)
	var want TLSStats
	want.Bytes = uint64(len(b))
	want.Records[RecordHandshake], want.Payload[RecordHandshake] = 1, 300
	want.Records[RecordChangeCipherSpec], want.Payload[RecordChangeCipherSpec] = 1, 1
	want.Records[RecordApplicationData], want.Payload[RecordApplicationData] = 2, 50
	want.Records[RecordAlert], want.Payload[RecordAlert] = 1, 2

	for i := 0; i < len(b); i++ {
		var s TLSStats
		d := NewTLSDecoder(&s)
		d.Feed(b[:i])
		d.Feed(b[i:])
		if s != want {
			t.Fatalf("Feed(records split at %d) = %+v, want %+v", i, s, want)
		}
	}
	if got := want.Residual(); got != 0 {
		t.Errorf("Residual() = %d, want 0", got)
	}
	var one TLSStats
	d := NewTLSDecoder(&one)
	for i := range b {
		d.Feed(b[i : i+1])
	}
	if one != want {
		t.Errorf("Feed(records byte by byte) = %+v, want %+v", one, want)
	}
}

func TestTLSDecoderNotTLS(t *testing.T) {
	b := []byte("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
	var s TLSStats
	NewTLSDecoder(&s).Feed(b)
	if s.Undecoded != uint64(len(b)-TLSRecordHeaderLen) || s.Residual() != int64(len(b)) {
		t.Errorf("Feed(h2 preface) undecoded %d residual %d, want %d %d", s.Undecoded, s.Residual(), len(b)-TLSRecordHeaderLen, len(b))
	}
}
