package loadgen

import (
	"strconv"

	"galaxy/galaxyctl/internal/loadgen/report"
)

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

// FileLimitError says that a run's connections do not fit under the soft
// limit of open files. It speaks of Config's fields; Note names them for
// a reader.
type FileLimitError struct {
	Clients, StreamsPerConn int
	Need, Limit             uint64
}

// Note is the error as a note whose settings a reader can name.
func (e *FileLimitError) Note() report.Note {
	return report.NewNote("%s needs about %d open files but the limit is %d; lower %s, raise %s, or raise ulimit -n",
		report.Hint{Field: "Clients", Value: strconv.Itoa(e.Clients)}, e.Need, e.Limit,
		report.Hint{Field: "Clients"}, report.Hint{Field: "StreamsPerConn"})
}

// Error reads "Clients 30000 needs about 30064 open files but ...".
func (e *FileLimitError) Error() string { return e.Note().String() }

// CheckFileLimit says whether clients streams, streamsPerConn to a
// connection, fit under a soft RLIMIT_NOFILE; when not, the error is a
// *FileLimitError.
func CheckFileLimit(clients, streamsPerConn int, soft uint64) error {
	need := FilesNeeded(clients, streamsPerConn)
	if need <= soft {
		return nil
	}
	return &FileLimitError{Clients: clients, StreamsPerConn: streamsPerConn, Need: need, Limit: soft}
}
