// Command seam fuzzes and stresses an FFI boundary. See README.md; `seam help` lists commands.
package main

import (
	"os"

	"github.com/seamfuzz/seam/internal/cli"
)

func main() {
	cli.ServeChild() // when started as an isolated child run, runs it and exits
	os.Exit(cli.Main(os.Args[1:], os.Stdout, os.Stderr))
}
