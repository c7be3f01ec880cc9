// Package testnet builds throw-away networks and sends bounded traffic
// through them: named network namespaces joined by veth pairs, with
// addresses, and ping, TCP, UDP, raw frames and packet capture between
// them, and live-frames XDP traffic. It does not import testing, so that
// programs (the examples' -demo mode) can use it too; tests usually call
// bpftest.NewVethPair(t, testnet.VethOptions{}), which removes the pair
// when the test ends. An interface is named as package attach names one
// (attach.Interface: name or index, and namespace); Endpoint.Interface
// returns it for an end of a veth pair.
//
// Everything here needs root (CAP_SYS_ADMIN and CAP_NET_ADMIN).
// Namespaces are named NamePrefix plus the process id and a random suffix,
// so parallel processes never collide, and nothing touches the host's own
// interfaces or routes.
package testnet
