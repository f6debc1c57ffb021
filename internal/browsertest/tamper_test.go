package browsertest

import (
	"bytes"
	"io"
	"net"
	"sync"
	"testing"
)

// tamperProxy relays TCP connections to a gateway and, in what the gateway
// sends, replaces every from with to (of the same length): a man in the
// middle that alters an event in transit, which only the signature can
// reveal. Over TLS it could not; it is for http:// only.
type tamperProxy struct {
	ln       net.Listener
	upstream string
	from, to []byte
	wg       sync.WaitGroup
	mu       sync.Mutex
	conns    map[net.Conn]struct{}
}

func startTamperProxy(t *testing.T, upstream string, from, to []byte) *tamperProxy {
	t.Helper()
	if len(from) != len(to) {
		t.Fatalf("tamperProxy: %q and %q differ in length", from, to)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &tamperProxy{ln: ln, upstream: upstream, from: from, to: to, conns: map[net.Conn]struct{}{}}
	p.wg.Add(1)
	go p.serve()
	t.Cleanup(p.close)
	return p
}

func (p *tamperProxy) addr() string { return p.ln.Addr().String() }

func (p *tamperProxy) serve() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		up, err := net.Dial("tcp", p.upstream)
		if err != nil {
			c.Close()
			continue
		}
		p.track(c, up)
		p.wg.Add(2)
		go func() { defer p.wg.Done(); _, _ = io.Copy(up, c); closeWrite(up) }()
		go func() { defer p.wg.Done(); p.relay(c, up); c.Close(); up.Close() }()
	}
}

func (p *tamperProxy) track(cs ...net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range cs {
		p.conns[c] = struct{}{}
	}
}

// relay copies src to dst with from replaced. It holds back only a tail
// that could be the start of from, so a match split across reads is
// still replaced, and nothing else waits.
func (p *tamperProxy) relay(dst io.Writer, src io.Reader) {
	buf := make([]byte, 32<<10)
	var pending []byte
	for {
		n, err := src.Read(buf)
		pending = bytes.ReplaceAll(append(pending, buf[:n]...), p.from, p.to)
		keep := 0
		for k := min(len(p.from)-1, len(pending)); k > 0; k-- {
			if bytes.HasSuffix(pending, p.from[:k]) {
				keep = k
				break
			}
		}
		if _, werr := dst.Write(pending[:len(pending)-keep]); werr != nil {
			return
		}
		pending = append([]byte(nil), pending[len(pending)-keep:]...)
		if err != nil {
			_, _ = dst.Write(pending)
			return
		}
	}
}

// cut closes every connection relayed so far, as a network that drops
// them would; new ones are relayed as before.
func (p *tamperProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for c := range p.conns {
		_ = c.Close()
		delete(p.conns, c)
	}
}

func (p *tamperProxy) close() {
	_ = p.ln.Close()
	p.mu.Lock()
	for c := range p.conns {
		_ = c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}

func closeWrite(c net.Conn) {
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		_ = cw.CloseWrite()
	}
}
