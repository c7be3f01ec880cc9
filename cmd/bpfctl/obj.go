package main

import "errors"

var errNoELF = errors.New("loading ELF objects needs package elf, which is not available yet")

func xdpAttach(c *ctx, args []string) error { return errNoELF }
func tcAttach(c *ctx, args []string) error  { return errNoELF }
func load(c *ctx, args []string) error      { return errNoELF }
func disasm(c *ctx, args []string) error    { return errNoELF }
