package netns_test

import (
	"fmt"
	"net"

	"github.com/purebpf/bpf/netns"
)

// ExampleNew creates a named namespace (visible to "ip netns list" while it
// exists), looks at its interfaces from inside, and deletes it. It needs
// root, so it has no "Output:" comment; it prints
//
//	interfaces in pbt-example: [lo]
func ExampleNew() {
	ns, err := netns.New("pbt-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer ns.Delete()

	var names []string
	err = ns.Do(func() error {
		// Runs on a thread inside ns; sockets created here stay in ns.
		ifs, err := net.Interfaces()
		for _, i := range ifs {
			names = append(names, i.Name)
		}
		return err
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("interfaces in %s: %v\n", ns.Name(), names)
}
