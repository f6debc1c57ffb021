package tui

import (
	"time"

	"galaxy/galaxyctl/internal/loadgen"
)

// DESIGN.md's wire-cost table: the model each measured layer is set
// beside.
const (
	modelProtobuf    = 19 // GatewayEvent{event_type:"gateway.heartbeat"}
	modelGRPCPrefix  = 5
	modelFrameHeader = 9
	modelHTTP2       = modelProtobuf + modelGRPCPrefix + modelFrameHeader // 33
	modelTLSRecord   = 22                                                 // 5 header + 1 type + 16 tag
	modelTCPIP       = 52                                                 // IPv4 20 + TCP 20 + timestamps 12
)

const secondsPerDay = 86400

// projection is the live estimate of what idle clients cost at the
// projection interval. A snapshot has no TCP_INFO (only the report reads
// the kernel), so the IP bytes per heartbeat are estimated as the socket
// bytes both ways plus one segment's TCP/IP headers, as the model counts
// them; the final report replaces this with the segments it measured.
type projection struct {
	ipPerHB      float64
	perClientDay float64
	scales       []scaleRow
}

type scaleRow struct {
	clients     int
	bytesPerDay float64
	mbitPerS    float64
}

// ipPerHeartbeat is the estimate above from a snapshot's layers.
func ipPerHeartbeat(l loadgen.LiveLayers) float64 {
	return l.SocketIn + l.SocketOut + modelTCPIP
}

// project scales ipPerHB bytes every interval to a day, per client and for
// each fleet size, with loadgen's arithmetic.
func project(ipPerHB float64, interval time.Duration, scales []int) projection {
	p := projection{ipPerHB: ipPerHB}
	if interval <= 0 {
		return p
	}
	p.perClientDay = ipPerHB * secondsPerDay / interval.Seconds()
	p.scales = make([]scaleRow, 0, len(scales))
	for _, n := range scales {
		day := p.perClientDay * float64(n)
		p.scales = append(p.scales, scaleRow{clients: n, bytesPerDay: day, mbitPerS: day * 8 / secondsPerDay / 1e6})
	}
	return p
}
