package testnet_test

import (
	"fmt"
	"os"
	"strings"

	"github.com/purebpf/bpf/bpftest/testnet"
	"github.com/purebpf/bpf/internal/rtnl"
	"github.com/purebpf/bpf/netns"
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

// ourNamespaces lists the names in /run/netns that this process created.
func ourNamespaces() []string {
	ents, _ := os.ReadDir(netns.RunDir)
	prefix := fmt.Sprintf("%s%d-", testnet.NamePrefix, os.Getpid())
	var names []string
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), prefix) {
			names = append(names, e.Name())
		}
	}
	return names
}
