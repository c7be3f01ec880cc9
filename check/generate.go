package check

// helpers_gen.go is generated from the probe record testdata/helpers.txt
// (written by go run ./internal/gplprobe/helpers as root on a kernel).
//go:generate go run ../internal/gplprobe/gentable -table helpers -in testdata/helpers.txt -out helpers_gen.go
