package bpftest_test

import (
	"os"

	"github.com/purebpf/bpf/internal/rtnl"
)

var errDeadline = os.ErrDeadlineExceeded

// setDown sets a link down; it must run inside the link's namespace.
func setDown(index int) error {
	c, err := rtnl.Dial(-1)
	if err != nil {
		return err
	}
	defer c.Close()
	return c.SetUp(index, false)
}
