package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"time"

	"github.com/purebpf/bpf/netns"
)

// HTTPServer is a small web server listening inside a namespace.
type HTTPServer struct {
	srv *http.Server
	ln  net.Listener
}

// StartHTTPServer serves "hello from port N" on addr:port inside ns.
func StartHTTPServer(ns *netns.NetNS, addr netip.Addr, port int) (*HTTPServer, error) {
	var ln net.Listener
	err := ns.Do(func() (err error) {
		ln, err = net.Listen("tcp", netip.AddrPortFrom(addr, uint16(port)).String())
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("listen on port %d in %s: %w", port, ns.Name(), err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello from port %d\n", port)
	})
	s := &HTTPServer{srv: &http.Server{Handler: mux, ReadHeaderTimeout: 2 * time.Second}, ln: ln}
	go s.srv.Serve(ln)
	return s, nil
}

// Close stops the server.
func (s *HTTPServer) Close() error {
	err := s.srv.Close()
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// HTTPGet fetches http://addr:port/ from inside ns with a one-second
// timeout and returns the body, or why it failed ("timed out", ...).
func HTTPGet(ns *netns.NetNS, addr netip.Addr, port int) (body string, ok bool) {
	dialer := &net.Dialer{Timeout: time.Second}
	client := &http.Client{
		Timeout: time.Second,
		Transport: &http.Transport{
			DisableKeepAlives: true,
			DialContext: func(ctx context.Context, network, address string) (conn net.Conn, err error) {
				err = ns.Do(func() (err error) {
					conn, err = dialer.DialContext(ctx, network, address)
					return err
				})
				return conn, err
			},
		},
	}
	resp, err := client.Get("http://" + net.JoinHostPort(addr.String(), strconv.Itoa(port)) + "/")
	if err != nil {
		var netErr net.Error
		if errors.As(err, &netErr) && netErr.Timeout() {
			return "timed out", false
		}
		return err.Error(), false
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<10))
	if err != nil {
		return err.Error(), false
	}
	return string(b), true
}
