package cli

import (
	"crypto/ed25519"
	"testing"

	"galaxy/galaxyctl/internal/gateway"
	gatewayv1 "galaxy/galaxyctl/proto/galaxy/gateway/v1"
)

func TestOrderCheck(t *testing.T) {
	var o orderCheck
	for i, tt := range []struct {
		cursor string
		want   bool
	}{
		{"00000000000000ab-0000000000000003", false},
		{"00000000000000ab-0000000000000004", false},
		{"00000000000000ab-0000000000000004", true},  // the same again
		{"00000000000000ab-0000000000000002", true},  // an older one
		{"00000000000000ab-0000000000000009", false}, // a gap is not a replay
		{"00000000000000cd-0000000000000001", false}, // a new incarnation starts over
		{"00000000000000cd-0000000000000001", true},
		{"not-a-cursor", false},
		{"00000000000000cd-0000000000000002", false},
	} {
		if got := o.replayed(tt.cursor); got != tt.want {
			t.Errorf("replayed(%q) #%d = %v, want %v", tt.cursor, i+1, got, tt.want)
		}
	}
}

func TestVerifyTally(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(nil)
	signed := func(id string) *gatewayv1.GatewayEvent {
		ev := &gatewayv1.GatewayEvent{EventType: "t", EventId: id}
		if err := gateway.Sign(priv, ev); err != nil {
			t.Fatal(err)
		}
		return ev
	}
	forged := signed("00000000000000ab-0000000000000002")
	forged.Payload = []byte("changed")
	v := &verifyTally{pub: pub}
	for _, c := range []struct {
		ev       *gatewayv1.GatewayEvent
		replayed bool
		want     verdict
	}{
		{signed("00000000000000ab-0000000000000001"), false, verdictValid},
		{forged, false, verdictInvalid},
		{&gatewayv1.GatewayEvent{EventType: "t"}, false, verdictUnsigned},
		{signed("00000000000000ab-0000000000000001"), true, verdictValid},
	} {
		if got := v.check(c.ev, c.replayed); got != c.want {
			t.Errorf("check(%v) = %v, want %v", c.ev, got, c.want)
		}
	}
	if got, want := v.summary(), "3 of 4 events failed verification (1 with an invalid signature, 1 unsigned, 1 replayed)"; got != want {
		t.Errorf("summary() = %q, want %q", got, want)
	}
	if got, want := (&verifyTally{total: 5}).summary(), "all 5 events verified"; got != want {
		t.Errorf("summary() = %q, want %q", got, want)
	}
}
