package wire

// TLSRecordHeaderLen is the TLS record header: content type, legacy
// version (2), length (2).
const TLSRecordHeaderLen = 5

// RecordType classifies TLS records by their outer content type. Under TLS
// 1.3 everything after the handshake is application_data on the outside.
type RecordType uint8

// Record types, in report order.
const (
	RecordApplicationData RecordType = iota
	RecordHandshake
	RecordChangeCipherSpec
	RecordAlert
	RecordOther
	// NumRecordTypes is the number of record types.
	NumRecordTypes
)

var recordNames = [NumRecordTypes]string{
	RecordApplicationData:  "application_data",
	RecordHandshake:        "handshake",
	RecordChangeCipherSpec: "change_cipher_spec",
	RecordAlert:            "alert",
	RecordOther:            "other",
}

// String returns the snake_case name used in reports.
func (r RecordType) String() string {
	if r < NumRecordTypes {
		return recordNames[r]
	}
	return "other"
}

func recordTypeOf(b byte) (RecordType, bool) {
	switch b {
	case 23:
		return RecordApplicationData, true
	case 22:
		return RecordHandshake, true
	case 20:
		return RecordChangeCipherSpec, true
	case 21:
		return RecordAlert, true
	case 24: // heartbeat (RFC 6520): valid, but nothing we expect
		return RecordOther, true
	}
	return RecordOther, false
}

// TLSStats counts one direction of a TLS connection by record. As with
// H2Stats, Residual is what is not attributed yet: a partial record header
// or bytes after the decoder gave up.
type TLSStats struct {
	Bytes     uint64                 `json:"bytes"`
	Records   [NumRecordTypes]uint64 `json:"records"`
	Payload   [NumRecordTypes]uint64 `json:"payload"`
	Undecoded uint64                 `json:"undecoded"`
}

// AllRecords is the number of records of every type.
func (s *TLSStats) AllRecords() uint64 {
	var n uint64
	for _, r := range s.Records {
		n += r
	}
	return n
}

// Decoded is the header and payload bytes of every record.
func (s *TLSStats) Decoded() uint64 {
	n := s.AllRecords() * TLSRecordHeaderLen
	for _, p := range s.Payload {
		n += p
	}
	return n
}

// Residual is Bytes minus Decoded.
func (s *TLSStats) Residual() int64 { return int64(s.Bytes) - int64(s.Decoded()) }

// Add adds o to s.
func (s *TLSStats) Add(o *TLSStats) {
	s.Bytes += o.Bytes
	for t := range NumRecordTypes {
		s.Records[t] += o.Records[t]
		s.Payload[t] += o.Payload[t]
	}
	s.Undecoded += o.Undecoded
}

// Sub returns s minus o.
func (s TLSStats) Sub(o *TLSStats) TLSStats {
	s.Bytes -= o.Bytes
	for t := range NumRecordTypes {
		s.Records[t] -= o.Records[t]
		s.Payload[t] -= o.Payload[t]
	}
	s.Undecoded -= o.Undecoded
	return s
}

// TLSDecoder decodes one direction of a TLS connection into a TLSStats:
// record headers only, since the payload is encrypted.
type TLSDecoder struct {
	stats  *TLSStats
	broken bool
	hdr    [TLSRecordHeaderLen]byte
	hdrN   int
	typ    RecordType
	left   int
}

// NewTLSDecoder returns a decoder that adds to stats.
func NewTLSDecoder(stats *TLSStats) *TLSDecoder { return &TLSDecoder{stats: stats} }

// Feed decodes the next bytes of the direction.
func (d *TLSDecoder) Feed(p []byte) {
	s := d.stats
	s.Bytes += uint64(len(p))
	for len(p) > 0 {
		if d.broken {
			s.Undecoded += uint64(len(p))
			return
		}
		if d.left == 0 {
			n := copy(d.hdr[d.hdrN:], p)
			d.hdrN += n
			p = p[n:]
			if d.hdrN < TLSRecordHeaderLen {
				return
			}
			d.hdrN = 0
			typ, ok := recordTypeOf(d.hdr[0])
			if !ok || d.hdr[1] != 3 {
				// Not TLS: give up rather than attribute garbage. The
				// header bytes just consumed stay unattributed.
				d.broken = true
				continue
			}
			d.typ = typ
			d.left = int(d.hdr[3])<<8 | int(d.hdr[4])
			s.Records[typ]++
			continue
		}
		n := min(d.left, len(p))
		s.Payload[d.typ] += uint64(n)
		d.left -= n
		p = p[n:]
	}
}
