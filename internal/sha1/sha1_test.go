package sha1

import (
	stdsha1 "crypto/sha1"
	"encoding/hex"
	"math/rand/v2"
	"testing"
)

// TestKnownDigests checks the FIPS 180 examples and the empty input.
func TestKnownDigests(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"", "da39a3ee5e6b4b0d3255bfef95601890afd80709"},
		{"abc", "a9993e364706816aba3e25717850c26c9cd0d89d"},
		{"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "84983e441c3bd26ebaae4aa1f95129e5e54670f1"},
	} {
		got := Sum([]byte(c.in))
		if h := hex.EncodeToString(got[:]); h != c.want {
			t.Errorf("Sum(%q) = %s, want %s", c.in, h, c.want)
		}
	}
}

// TestAgreesWithCrypto compares with crypto/sha1 for every length around
// the block and padding boundaries and for larger random inputs.
func TestAgreesWithCrypto(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	data := make([]byte, 5000)
	for i := range data {
		data[i] = byte(r.Uint32())
	}
	lengths := []int{1000, 4096, 5000}
	for n := 0; n <= 200; n++ {
		lengths = append(lengths, n)
	}
	for _, n := range lengths {
		if got, want := Sum(data[:n]), stdsha1.Sum(data[:n]); got != want {
			t.Errorf("length %d: %x, crypto/sha1 %x", n, got, want)
		}
	}
}
