package maps

import (
	"fmt"
	"os"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// poller blocks until one of a set of descriptors is readable, a deadline
// passes or it is closed from another goroutine.
type poller struct {
	epfd     int
	eventfd  int
	closed   atomic.Bool
	deadline atomic.Int64 // unix nanoseconds, 0 for none
	events   [16]unix.EpollEvent
}

// eventfdTag marks the wake-up eventfd in epoll data.
const eventfdTag = -1

func newPoller() (*poller, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("epoll_create1: %w", err)
	}
	efd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		unix.Close(epfd)
		return nil, fmt.Errorf("eventfd: %w", err)
	}
	p := &poller{epfd: epfd, eventfd: efd}
	if err := p.add(efd, eventfdTag); err != nil {
		p.release()
		return nil, err
	}
	return p, nil
}

// add watches fd for readability; tag comes back from wait.
func (p *poller) add(fd int, tag int32) error {
	ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: tag}
	if err := unix.EpollCtl(p.epfd, unix.EPOLL_CTL_ADD, fd, &ev); err != nil {
		return fmt.Errorf("epoll_ctl add fd %d: %w", fd, err)
	}
	return nil
}

// wait blocks until a watched descriptor is readable and returns the tags
// of the ready ones (valid until the next wait). It returns ErrClosed once
// close was called and os.ErrDeadlineExceeded after the deadline.
func (p *poller) wait() ([]unix.EpollEvent, error) {
	for {
		if p.closed.Load() {
			return nil, ErrClosed
		}
		timeout := -1
		if d := p.deadline.Load(); d != 0 {
			left := time.Until(time.Unix(0, d))
			if left <= 0 {
				return nil, os.ErrDeadlineExceeded
			}
			timeout = int((left + time.Millisecond - 1) / time.Millisecond)
		}
		n, err := unix.EpollWait(p.epfd, p.events[:], timeout)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("epoll_wait: %w", err)
		}
		if p.closed.Load() {
			return nil, ErrClosed
		}
		if n > 0 {
			return p.events[:n], nil
		}
	}
}

func (p *poller) setDeadline(t time.Time) {
	if t.IsZero() {
		p.deadline.Store(0)
	} else {
		p.deadline.Store(t.UnixNano())
	}
	// Wake a waiter so it sees the new deadline.
	p.wake()
}

func (p *poller) wake() {
	one := [8]byte{1}
	unix.Write(p.eventfd, one[:])
}

// drainWake consumes pending wake-ups. One that close sent is put back,
// so that it still reaches every other goroutine waiting.
func (p *poller) drainWake() {
	var b [8]byte
	unix.Read(p.eventfd, b[:])
	if p.closed.Load() {
		p.wake()
	}
}

// close makes current and future waits return ErrClosed.
func (p *poller) close() {
	p.closed.Store(true)
	p.wake()
}

func (p *poller) release() {
	unix.Close(p.epfd)
	unix.Close(p.eventfd)
}
