package cli

import (
	"crypto/ed25519"
	"fmt"
	"strings"

	"galaxy/galaxyctl/internal/backend"
	"galaxy/galaxyctl/internal/gateway"
	gatewayv1 "galaxy/galaxyctl/proto/galaxy/gateway/v1"
)

// orderCheck flags an event that comes again: one whose cursor is not
// after the previous event's in the same backend incarnation. It keeps
// only the last cursor, not a set of ids, so its memory is constant however
// long tail runs, and it holds across reconnects. A cursor of another
// incarnation starts the order again (the backend restarted); one that
// does not parse is not judged.
type orderCheck struct {
	last backend.Cursor
	have bool
}

// replayed reports whether cursor comes at or before the last one seen.
func (o *orderCheck) replayed(cursor string) bool {
	c, err := backend.ParseCursor(cursor)
	if err != nil {
		return false
	}
	if o.have && c.Incarnation == o.last.Incarnation && c.Seq <= o.last.Seq {
		return true
	}
	o.last, o.have = c, true
	return false
}

// verdict is what --verify-key says about one gateway event.
type verdict int

const (
	verdictValid verdict = iota
	verdictInvalid
	verdictUnsigned
)

// String is how pretty output shows the verdict.
func (v verdict) String() string {
	switch v {
	case verdictValid:
		return "signature=valid"
	case verdictInvalid:
		return "signature=INVALID"
	}
	return "signature=none"
}

// verifyTally checks each gateway event's signature with --verify-key and
// counts what failed, for the summary tail prints on exit.
type verifyTally struct {
	pub                                ed25519.PublicKey
	total, invalid, unsigned, replayed int
	failedEvents                       int // each counted once, whatever failed
}

// check verifies ev; replayed is what orderCheck said of it, which counts
// as a failure too: a replayed event verifies, since it is a real one.
func (v *verifyTally) check(ev *gatewayv1.GatewayEvent, replayed bool) verdict {
	v.total++
	res := verdictValid
	switch {
	case len(ev.GetSignature()) == 0:
		res = verdictUnsigned
		v.unsigned++
	case !gateway.Verify(v.pub, ev):
		res = verdictInvalid
		v.invalid++
	}
	if replayed {
		v.replayed++
	}
	if res != verdictValid || replayed {
		v.failedEvents++
	}
	return res
}

// failed is how many events failed: a bad or missing signature, or a
// replay.
func (v *verifyTally) failed() int {
	return v.failedEvents
}

// summary is the line tail prints on exit with --verify-key.
func (v *verifyTally) summary() string {
	if v.failed() == 0 {
		return fmt.Sprintf("all %d events verified", v.total)
	}
	var why []string
	for _, c := range []struct {
		n    int
		what string
	}{{v.invalid, "with an invalid signature"}, {v.unsigned, "unsigned"}, {v.replayed, "replayed"}} {
		if c.n > 0 {
			why = append(why, fmt.Sprintf("%d %s", c.n, c.what))
		}
	}
	return fmt.Sprintf("%d of %d events failed verification (%s)", v.failed(), v.total, strings.Join(why, ", "))
}
