//go:build !linux

package lean

import "errors"

// haveLoop is whether connections are served by event loops here.
const haveLoop = false

// loop is Linux's event loop; elsewhere every connection has a goroutine
// of its own.
type loop struct{ p *proc }

// startLoops starts no loop where there is no epoll.
func startLoops(*Engine, int) ([]*loop, error) { return nil, nil }

func (*loop) stop()               {}
func (*loop) post(func()) bool    { return false }
func (*loop) remove(*Conn)        {}
func (c *Conn) afterWrite() error { return nil }

// handOff keeps the connection with its goroutine.
func (c *Conn) handOff(*loop) (bool, error) { return false, nil }

func (s *sockConn) writeFD([]byte) (int, error) {
	return 0, errors.New("no event loop on this system")
}
