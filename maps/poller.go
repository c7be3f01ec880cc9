package maps

import (
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// poller blocks until one of a set of descriptors is readable, a deadline
// passes or it is closed from another goroutine. Several goroutines may
// wait at once: a wake-up (a deadline change, Close) is left pending on
// the eventfd until every goroutine that was waiting when it was sent has
// woken and seen it.
type poller struct {
	epfd    int
	eventfd int
	closed  atomic.Bool

	mu       sync.Mutex
	deadline int64  // unix nanoseconds, 0 for none
	gen      uint64 // deadline changes
	waiting  int    // goroutines in epoll_wait
	stale    int    // of those, how many computed their timeout before the last change

	events [16]unix.EpollEvent // scratch for epoll_wait; what it holds is not used
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

// wait blocks until a watched descriptor is readable (or a wake-up
// arrives). It returns ErrClosed once close was called and
// os.ErrDeadlineExceeded after the deadline.
func (p *poller) wait() error {
	for {
		if p.closed.Load() {
			return ErrClosed
		}
		p.mu.Lock()
		timeout, gen := -1, p.gen
		if p.deadline != 0 {
			left := time.Until(time.Unix(0, p.deadline))
			if left <= 0 {
				p.mu.Unlock()
				return os.ErrDeadlineExceeded
			}
			timeout = int((left + time.Millisecond - 1) / time.Millisecond)
		}
		p.waiting++
		p.mu.Unlock()

		n, err := unix.EpollWait(p.epfd, p.events[:], timeout)

		p.mu.Lock()
		p.waiting--
		if gen != p.gen {
			p.stale--
		}
		// The wake-up is consumed once no waiter still has an old
		// deadline; close's wake-up stays, for every later wait.
		if p.stale <= 0 && !p.closed.Load() {
			var b [8]byte
			unix.Read(p.eventfd, b[:])
		}
		p.mu.Unlock()
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return fmt.Errorf("epoll_wait: %w", err)
		}
		if p.closed.Load() {
			return ErrClosed
		}
		if n > 0 {
			return nil
		}
	}
}

func (p *poller) setDeadline(t time.Time) {
	p.mu.Lock()
	if t.IsZero() {
		p.deadline = 0
	} else {
		p.deadline = t.UnixNano()
	}
	p.gen++
	// Every goroutine waiting now has a timeout from the old deadline.
	p.stale = p.waiting
	p.mu.Unlock()
	p.wake()
}

func (p *poller) wake() {
	one := [8]byte{1}
	unix.Write(p.eventfd, one[:])
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
