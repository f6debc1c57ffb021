package report

func perStream(after, before float64, streams float64) float64 {
	if streams <= 0 {
		return 0
	}
	return (after - before) / streams
}

func memoryReport(m *Measurement) MemoryReport {
	b, a := m.MemBefore, m.MemAfter
	streams := float64(m.Connected)
	mr := MemoryReport{
		ClientRSSBefore:            b.RSS,
		ClientRSSAfter:             a.RSS,
		ClientHeapBefore:           b.HeapBytes,
		ClientHeapAfter:            a.HeapBytes,
		ClientStackBefore:          b.StackBytes,
		ClientStackAfter:           a.StackBytes,
		ClientGoroutinesBefore:     b.Goroutines,
		ClientGoroutinesAfter:      a.Goroutines,
		ClientBytesPerStream:       perStream(float64(a.RSS), float64(b.RSS), streams),
		ClientHeapPerStream:        perStream(float64(a.HeapBytes), float64(b.HeapBytes), streams),
		ClientStackPerStream:       perStream(float64(a.StackBytes), float64(b.StackBytes), streams),
		ClientGoroutinesPerStream:  perStream(float64(a.Goroutines), float64(b.Goroutines), streams),
		ClientBytesPerConnection:   perStream(float64(a.RSS), float64(b.RSS), float64(m.ConnectionsOpened)),
		KernelSocketBytesBefore:    b.KernelSocketBytes,
		KernelSocketBytesAfter:     a.KernelSocketBytes,
		KernelSocketBytesPerStream: perStream(float64(a.KernelSocketBytes), float64(b.KernelSocketBytes), streams),
		KernelTCPSocketsBefore:     b.KernelTCPSockets,
		KernelTCPSocketsAfter:      a.KernelTCPSockets,
		ServerError:                m.ServerError,
	}
	if m.ServerBefore == nil || m.ServerAfter == nil {
		return mr
	}
	sb, sa := m.ServerBefore, m.ServerAfter
	mr.ServerAvailable = true
	mr.ServerRSSBefore, mr.ServerRSSAfter = sb.RSS, sa.RSS
	mr.ServerHeapMetric = sa.HeapMetric
	mr.ServerHeapBefore, mr.ServerHeapAfter = sb.Heap, sa.Heap
	mr.ServerGoroutinesBefore, mr.ServerGoroutinesAfter = sb.Goroutines, sa.Goroutines
	mr.ServerStreamsBefore, mr.ServerStreamsAfter = sb.ActiveStreams, sa.ActiveStreams
	// Without the gateway's stream gauge, the streams bench holds open
	// stand in for the delta.
	delta := sa.ActiveStreams - sb.ActiveStreams
	if !sa.HasActiveStreams || !sb.HasActiveStreams {
		delta = streams
	}
	if sa.HasRSS && sb.HasRSS {
		mr.ServerBytesPerStream = perStream(sa.RSS, sb.RSS, delta)
	}
	if sa.HasHeap && sb.HasHeap {
		mr.ServerHeapPerStream = perStream(sa.Heap, sb.Heap, delta)
	}
	if sa.HasGoroutines && sb.HasGoroutines {
		mr.ServerGoroutinesPerStream = perStream(sa.Goroutines, sb.Goroutines, delta)
	}
	return mr
}
