package loadgen

// StartStub and FakeMetrics are startStub and fakeMetrics for the
// external tests.
var (
	StartStub   = startStub
	FakeMetrics = fakeMetrics
)
