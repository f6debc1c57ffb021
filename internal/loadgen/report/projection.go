package report

import "time"

const secondsPerDay = 86400

// Project scales ipPerHB bytes per heartbeat to a day of heartbeats every
// interval, per client and for each fleet size, beside what the model's
// heartbeat alone would cost. The report and the live view both call it.
// A missing ipPerHB leaves the per-client and fleet figures missing.
func Project(ipPerHB Figure, interval time.Duration, scales []int, model Model) ProjectionReport {
	p := ProjectionReport{IntervalMS: ms(interval), IPBytesPerHeartbeat: Missing, BytesPerClientDay: Missing, Scales: []ScaleRow{}}
	if interval <= 0 {
		return p
	}
	perDay := secondsPerDay / interval.Seconds()
	p.HeartbeatsPerClientDay = perDay
	p.ModelBytesPerClientDay = model.IP() * perDay
	p.IPBytesPerHeartbeat = ipPerHB
	p.BytesPerClientDay = ipPerHB * Figure(perDay)
	for _, n := range scales {
		day := p.BytesPerClientDay * Figure(n)
		p.Scales = append(p.Scales, ScaleRow{
			Clients:     n,
			BytesPerDay: day,
			MbitPerS:    day * 8 / secondsPerDay / 1e6,
		})
	}
	return p
}
