package verifier

// gplonly_gen.go is generated from the probe record testdata/gplonly.txt
// (written by go run ./internal/gplprobe/cmd as root on a kernel).
//go:generate go run ../internal/gplprobe/gentable -table gplonly -in testdata/gplonly.txt -out gplonly_gen.go
