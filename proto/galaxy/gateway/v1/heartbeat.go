package gatewayv1

// HeartbeatEventType is the event_type of the gateway's heartbeat: a
// GatewayEvent with only this field set, 19 bytes of protobuf. It is part of
// the protocol, so clients (and bench) recognise heartbeats without
// depending on the gateway's code.
const HeartbeatEventType = "gateway.heartbeat"
