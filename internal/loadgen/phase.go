package loadgen

import (
	"sync"
	"time"

	"go.uber.org/zap"

	"galaxy/galaxyctl/internal/loadgen/report"
)

// Phase is where a run is.
type Phase = report.Phase

// Phases, in order.
const (
	PhaseRamp    = report.PhaseRamp
	PhaseWarmup  = report.PhaseWarmup
	PhaseMeasure = report.PhaseMeasure
	PhaseDone    = report.PhaseDone
)

// phaseMark is what the run goroutine publishes at each phase change:
// what the live figures of the phase are counted from.
type phaseMark struct {
	phase  Phase
	start  time.Time
	length time.Duration // planned; 0 for the ramp
	// period is the collector's period of the phase; base its byte
	// counters, hbBase and otherBase the streams' messages at its start.
	period            int
	base              report.Counters
	hbBase, otherBase uint64
	// ramp and warmup are the lengths of the phases before, once over.
	ramp, warmup time.Duration
	// end and gaps freeze the window's counters and gaps, so the final
	// snapshot shows the window, not the shutdown.
	end  *report.Counters
	gaps *gapPeriod
}

// phases holds the current phase mark: written by the run goroutine, read
// by snapshots.
type phases struct {
	mu   sync.Mutex
	mark phaseMark
	log  *zap.Logger
}

func (p *phases) set(m phaseMark) {
	p.mu.Lock()
	p.mark = m
	p.mu.Unlock()
	p.log.Debug("bench phase", zap.String("phase", string(m.phase)))
}

func (p *phases) current() phaseMark {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.mark
}
