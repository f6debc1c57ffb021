package lean

import "slices"

// stream is one client stream.
type stream struct {
	client int32
	id     uint32
	opened chan error // until the response header; nil after
	env    envReader

	// Flow control: grpc-go's inFlow (limit, pendingData, pendingUpdate)
	// or Chromium's unacknowledged bytes and last update.
	limit, update uint32
	last          int64
	queued        bool   // waits for the server's SETTINGS
	body          []byte // the request, while queued
	headers       bool   // response header received
}

// report sends the outcome of an open; later calls do nothing.
func (st *stream) report(err error) {
	if st.opened != nil {
		st.opened <- err
		st.opened = nil
	}
}

func removeStream(ss []*stream, st *stream) ([]*stream, bool) {
	i := slices.Index(ss, st)
	if i < 0 {
		return ss, false
	}
	ss = slices.Delete(ss, i, i+1)
	if len(ss) == 0 {
		ss = nil // release the array: most connections carry one stream
	}
	return ss, true
}
