// Package gatewayv1 is the Go code of galaxy.gateway.v1
// (gateway.proto): the gateway's client-facing service, on which each
// client holds one server stream, kept alive by heartbeats when idle.
// Besides the generated code it holds the protocol's constants that the
// .proto cannot express, such as HeartbeatEventType.
package gatewayv1
