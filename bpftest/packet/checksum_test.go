package packet

import (
	"encoding/hex"
	"math/rand/v2"
	"strings"
	"testing"
)

// naiveChecksum is the textbook RFC 1071 loop, deliberately unlike the
// production code (which sums 32-bit words and folds once): one 16-bit word
// at a time, the carry folded back after every addition.
func naiveChecksum(chunks ...[]byte) uint16 {
	var all []byte
	for _, c := range chunks {
		all = append(all, c...)
	}
	if len(all)%2 == 1 {
		all = append(all, 0)
	}
	var s uint32
	for i := 0; i < len(all); i += 2 {
		s += uint32(all[i])<<8 | uint32(all[i+1])
		s = s&0xffff + s>>16
	}
	return ^uint16(s)
}

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		t.Fatalf("bad hex in test: %v", err)
	}
	return b
}

func TestInternetChecksumKnownValues(t *testing.T) {
	tests := []struct {
		name string
		data string
		want uint16
	}{
		// RFC 1071 section 3: the sum of these bytes is 0xddf2.
		{"RFC 1071 example", "0001 f203 f4f5 f6f7", ^uint16(0xddf2)},
		// The IPv4 header used as the checksum example on Wikipedia's
		// "Internet checksum" / "IPv4 header checksum" pages, field zeroed.
		{"IPv4 header example", "4500 0073 0000 4000 4011 0000 c0a8 0001 c0a8 00c7", 0xb861},
		// The same header with its checksum verifies to zero.
		{"IPv4 header verify", "4500 0073 0000 4000 4011 b861 c0a8 0001 c0a8 00c7", 0},
		{"empty", "", 0xffff},
		{"odd byte is high byte", "01", 0xfeff},
		{"all ones", "ffff ffff", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := mustHex(t, tt.data)
			if got := InternetChecksum(b); got != tt.want {
				t.Errorf("InternetChecksum = %#04x, want %#04x", got, tt.want)
			}
			if got := naiveChecksum(b); got != tt.want {
				t.Errorf("naiveChecksum = %#04x, want %#04x (test helper broken)", got, tt.want)
			}
		})
	}
}

func TestInternetChecksumMatchesNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for n := range 300 {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		if n%7 == 0 {
			for i := range b {
				b[i] = 0xff // carry-heavy input
			}
		}
		if got, want := InternetChecksum(b), naiveChecksum(b); got != want {
			t.Fatalf("len %d: InternetChecksum = %#04x, naive = %#04x", n, got, want)
		}
	}
}
