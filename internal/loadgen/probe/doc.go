// Package probe reads the machine a bench run measures on: a socket's
// TCP_INFO (Linux; elsewhere TCPInfoSupported is false and reads fail),
// the open-file limit, bench's own memory, and a server's memory from its
// Prometheus /metrics. It only reads (and, when asked, raises the file
// limit); what the readings mean is the report package's business.
package probe
