package cli

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package if any test leaves a goroutine behind: serve
// runs in-process here, and its pipeline must stop everything it started.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
