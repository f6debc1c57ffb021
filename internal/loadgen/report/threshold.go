package report

// ThresholdResult is one pass/fail check of a report figure, as bench
// --threshold and bench compare print it.
type ThresholdResult struct {
	// Threshold is the check as it was given: bytes.ip_per_heartbeat<=160.
	Threshold string `json:"threshold"`
	Key       string `json:"key"`
	Op        string `json:"op"` // <, <=, >, >= or ==
	// Limit is what Value is held against, in the key's own unit (bytes,
	// milliseconds); missing when it depends on a base that is.
	Limit Figure `json:"limit"`
	// Value is the key's value; missing when it is null or absent, which
	// fails.
	Value Figure `json:"value"`
	Pass  bool   `json:"pass"`
}
