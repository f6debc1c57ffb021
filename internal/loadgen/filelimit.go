package loadgen

import "fmt"

// FileLimitHeadroom is the file descriptors kept free for everything that
// is not a client connection: the process's own files, listeners, the
// metrics scrape.
const FileLimitHeadroom = 64

// FilesNeeded is about how many open files a run of clients needs: one per
// connection plus FileLimitHeadroom.
func FilesNeeded(clients, streamsPerConn int) uint64 {
	if streamsPerConn < 1 {
		streamsPerConn = 1
	}
	conns := (clients + streamsPerConn - 1) / streamsPerConn
	return uint64(conns) + FileLimitHeadroom
}

// CheckFileLimit says whether clients streams, streamsPerConn to a
// connection, fit under a soft RLIMIT_NOFILE. The message names the flags
// of `galaxyctl bench`, since that is who asks.
func CheckFileLimit(clients, streamsPerConn int, soft uint64) error {
	need := FilesNeeded(clients, streamsPerConn)
	if need <= soft {
		return nil
	}
	return fmt.Errorf("--clients %d needs about %d open files but the limit is %d; lower --clients, raise --streams-per-conn, or raise ulimit -n",
		clients, need, soft)
}
