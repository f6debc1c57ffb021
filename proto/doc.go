// Package proto holds the .proto sources of galaxy's protocols and their
// generated Go code (packages pushv1 and gatewayv1). Regenerate with
// scripts/genproto.sh; never edit the generated files by hand.
package proto

//go:generate ../scripts/genproto.sh
