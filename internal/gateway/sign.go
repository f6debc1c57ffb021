package gateway

import (
	"crypto/ed25519"
	"errors"
	"fmt"

	"google.golang.org/protobuf/proto"

	gatewayv1 "galaxy/galaxyctl/proto/galaxy/gateway/v1"
)

// signOpts is the encoding that signatures cover. Deterministic encoding
// orders map entries; it is what lets a verifier re-encode the event it
// received and get the bytes the gateway signed.
var signOpts = proto.MarshalOptions{Deterministic: true}

// Sign sets ev.Signature to the Ed25519 signature of the deterministic
// encoding of ev with its signature cleared. It modifies ev, so it must run
// before ev is shared.
func Sign(priv ed25519.PrivateKey, ev *gatewayv1.GatewayEvent) error {
	if len(priv) != ed25519.PrivateKeySize {
		return fmt.Errorf("sign event: private key is %d bytes, want %d", len(priv), ed25519.PrivateKeySize)
	}
	if ev == nil {
		return errors.New("sign event: nil event")
	}
	ev.Signature = nil
	b, err := signOpts.Marshal(ev)
	if err != nil {
		return fmt.Errorf("sign event %q: encode: %w", ev.GetEventId(), err)
	}
	ev.Signature = ed25519.Sign(priv, b)
	return nil
}

// Verify reports whether ev carries a valid signature by the key pub. It does
// not modify ev. A heartbeat, being unsigned, does not verify.
func Verify(pub ed25519.PublicKey, ev *gatewayv1.GatewayEvent) bool {
	if len(pub) != ed25519.PublicKeySize || len(ev.GetSignature()) != ed25519.SignatureSize {
		return false
	}
	// A clone rather than a hand-made copy keeps unknown fields, so an event
	// from a newer gateway, with fields this build does not know, still
	// verifies.
	c := proto.CloneOf(ev)
	c.Signature = nil
	b, err := signOpts.Marshal(c)
	if err != nil {
		return false
	}
	return ed25519.Verify(pub, b, ev.GetSignature())
}
