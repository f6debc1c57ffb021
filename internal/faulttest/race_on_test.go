//go:build race

package faulttest

// raceOn says the race detector is on: everything runs several times
// slower, and load scenarios scale their rates to what the machine keeps up
// with.
const raceOn = true
