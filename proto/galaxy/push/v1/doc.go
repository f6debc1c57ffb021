// Package pushv1 is the Go code of galaxy.push.v1 (push.proto): the
// backend's push service, to which publishers append events and from which
// gateways subscribe and resume by cursor. Besides the generated code it
// holds the protocol's response metadata keys (metadata.go).
package pushv1
