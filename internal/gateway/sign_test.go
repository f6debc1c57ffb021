package gateway

import (
	"crypto/ed25519"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	gatewayv1 "galaxy/galaxyctl/proto/galaxy/gateway/v1"
)

// testKey is fixed so failures reproduce.
var testKey = ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))

func sampleEvent() *gatewayv1.GatewayEvent {
	return &gatewayv1.GatewayEvent{
		EventType: "order.created",
		EventId:   "AAAAAQ-7",
		UserId:    "alice",
		Payload:   []byte(`{"order":42}`),
		CreatedAt: timestamppb.New(time.Date(2025, 1, 2, 3, 4, 5, 6, time.UTC)),
	}
}

func TestSignVerifyRoundTrip(t *testing.T) {
	ev := sampleEvent()
	if err := Sign(testKey, ev); err != nil {
		t.Fatalf("Sign() = %v, want nil", err)
	}
	if n := len(ev.GetSignature()); n != ed25519.SignatureSize {
		t.Fatalf("len(Signature) = %d, want %d", n, ed25519.SignatureSize)
	}
	// The signature covers the deterministic encoding without it, which is
	// what any verifier (not only this package) must rebuild.
	unsigned := sampleEvent()
	msg, err := proto.MarshalOptions{Deterministic: true}.Marshal(unsigned)
	if err != nil {
		t.Fatal(err)
	}
	pub := testKey.Public().(ed25519.PublicKey)
	if !ed25519.Verify(pub, msg, ev.GetSignature()) {
		t.Errorf("ed25519.Verify(deterministic encoding without signature) = false, want true")
	}

	before := proto.Clone(ev)
	if !Verify(pub, ev) {
		t.Errorf("Verify(signed event) = false, want true")
	}
	if !proto.Equal(ev, before) {
		t.Errorf("Verify modified the event: %v, want %v", ev, before)
	}

	// Through the wire and back, as a client sees it.
	b, err := proto.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	got := &gatewayv1.GatewayEvent{}
	if err := proto.Unmarshal(b, got); err != nil {
		t.Fatal(err)
	}
	if !Verify(pub, got) {
		t.Errorf("Verify(event after marshal and unmarshal) = false, want true")
	}
}

// TestVerifyUnknownFields signs an event as a newer gateway would, with a
// field this build does not know: an older verifier must still accept it.
func TestVerifyUnknownFields(t *testing.T) {
	ev := sampleEvent()
	unknown := protowire.AppendTag(nil, 99, protowire.BytesType)
	unknown = protowire.AppendString(unknown, "from the future")
	ev.ProtoReflect().SetUnknown(unknown)
	if err := Sign(testKey, ev); err != nil {
		t.Fatalf("Sign() = %v, want nil", err)
	}
	if !Verify(testKey.Public().(ed25519.PublicKey), ev) {
		t.Errorf("Verify(event with unknown field 99) = false, want true")
	}
}

func TestVerifyRejects(t *testing.T) {
	pub := testKey.Public().(ed25519.PublicKey)
	other := ed25519.NewKeyFromSeed([]byte("another seed, thirty-two bytes!!")).Public().(ed25519.PublicKey)
	tests := []struct {
		name   string
		pub    ed25519.PublicKey
		tamper func(ev *gatewayv1.GatewayEvent)
	}{
		{"payload changed", pub, func(ev *gatewayv1.GatewayEvent) { ev.Payload = []byte(`{"order":43}`) }},
		{"user changed", pub, func(ev *gatewayv1.GatewayEvent) { ev.UserId = "mallory" }},
		{"event id changed", pub, func(ev *gatewayv1.GatewayEvent) { ev.EventId = "AAAAAQ-8" }},
		{"event type changed", pub, func(ev *gatewayv1.GatewayEvent) { ev.EventType = "order.cancelled" }},
		{"created_at changed", pub, func(ev *gatewayv1.GatewayEvent) { ev.CreatedAt.Nanos++ }},
		{"created_at removed", pub, func(ev *gatewayv1.GatewayEvent) { ev.CreatedAt = nil }},
		{"signature bit flipped", pub, func(ev *gatewayv1.GatewayEvent) { ev.Signature[0] ^= 1 }},
		{"signature truncated", pub, func(ev *gatewayv1.GatewayEvent) { ev.Signature = ev.Signature[:63] }},
		{"signature missing", pub, func(ev *gatewayv1.GatewayEvent) { ev.Signature = nil }},
		{"wrong key", other, func(*gatewayv1.GatewayEvent) {}},
		{"key of wrong length", pub[:31], func(*gatewayv1.GatewayEvent) {}},
		{"no key", nil, func(*gatewayv1.GatewayEvent) {}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := sampleEvent()
			if err := Sign(testKey, ev); err != nil {
				t.Fatalf("Sign() = %v, want nil", err)
			}
			tt.tamper(ev)
			if Verify(tt.pub, ev) {
				t.Errorf("Verify(%s) = true, want false", tt.name)
			}
		})
	}
	if Verify(pub, heartbeatEvent) {
		t.Errorf("Verify(heartbeat) = true, want false: heartbeats are unsigned")
	}
	if Verify(pub, nil) {
		t.Errorf("Verify(nil) = true, want false")
	}
}

func TestSignErrors(t *testing.T) {
	if err := Sign(testKey[:32], sampleEvent()); err == nil {
		t.Errorf("Sign(32-byte key) = nil, want an error")
	}
	if err := Sign(testKey, nil); err == nil {
		t.Errorf("Sign(nil event) = nil, want an error")
	}
}
