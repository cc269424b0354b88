package cli

import (
	"errors"
	"fmt"
	"io"

	"github.com/seamfuzz/seam/cheader"
	"github.com/seamfuzz/seam/contract"
	"github.com/seamfuzz/seam/internal/atomicfile"
)

func init() {
	register("contract", "init HEADER | check | table: draft a contract from a header, check one against its header and engines, print its ownership table", runContract)
}

func runContract(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		return fail(stderr, "contract", usageError{"give init HEADER, check or table"})
	}
	switch args[0] {
	case "init":
		return runContractInit(args[1:], stdout, stderr)
	case "check":
		return runContractCheck(args[1:], stdout, stderr)
	case "table":
		return runContractTable(args[1:], stdout, stderr)
	}
	return fail(stderr, "contract", usageError{fmt.Sprintf("unknown subcommand %q: give init HEADER, check or table", args[0])})
}

// runContractInit drafts a contract from a header: on stdout, or into -o
// (never over an existing file, which may hold a reviewer's work).
func runContractInit(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("contract init", stderr)
	out := fs.String("o", "", "write the draft to this file instead of standard output (it must not exist)")
	if ok, code := parseFlags(fs, args); !ok {
		return code
	}
	if fs.NArg() != 1 {
		return fail(stderr, "contract init", usageError{"give the header to draft from"})
	}
	h, err := cheader.Parse(fs.Arg(0))
	if err != nil {
		return fail(stderr, "contract init", err)
	}
	draft, err := contract.Draft(h)
	if err != nil {
		return fail(stderr, "contract init", err)
	}
	if *out == "" {
		_, err = stdout.Write(draft)
	} else {
		err = atomicfile.WriteNew(*out, draft)
	}
	if err != nil {
		return fail(stderr, "contract init", err)
	}
	return ExitClean
}

// runContractCheck prints one line per problem of the contract against its
// header and engines (stderr, exit 2: a contract that does not fit is bad input
// to seam), or one ok line.
func runContractCheck(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("contract check", stderr)
	var bf boundaryFlags
	bf.register(fs)
	if ok, code := parseFlags(fs, args); !ok {
		return code
	}
	c, h, code := loadContract(&bf, "contract check", stdout, stderr)
	if c == nil {
		return code
	}
	resolved, err := bf.libraries(c)
	if err != nil {
		return fail(stderr, "contract check", err)
	}
	var libs []string
	for _, l := range resolved {
		libs = append(libs, l.path)
	}
	problems := contract.Check(c, h, libs)
	for _, p := range problems {
		fmt.Fprintln(stderr, p)
	}
	if len(problems) > 0 {
		return ExitError
	}
	fmt.Fprintf(stdout, "ok: the %s contract fits its header and %d engine libraries\n", c.Boundary, len(libs))
	return ExitClean
}

func runContractTable(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("contract table", stderr)
	var bf boundaryFlags
	bf.register(fs)
	if ok, code := parseFlags(fs, args); !ok {
		return code
	}
	c, h, code := loadContract(&bf, "contract table", stdout, stderr)
	if c == nil {
		return code
	}
	fmt.Fprint(stdout, contract.Table(c, h))
	return ExitClean
}

// loadContract reads -contract and its header: a contract that does not read
// gives one line per problem, a header that does not parse one line (stderr,
// exit 2 either way).
func loadContract(bf *boundaryFlags, cmd string, stdout, stderr io.Writer) (*contract.Contract, *cheader.Header, int) {
	path, err := bf.contractPath()
	if err != nil {
		return nil, nil, fail(stderr, cmd, err)
	}
	c, err := contract.Load(path)
	if err != nil {
		var ce *contract.Error
		if !errors.As(err, &ce) {
			return nil, nil, fail(stderr, cmd, err)
		}
		for _, l := range ce.Lines {
			fmt.Fprintln(stderr, l)
		}
		return nil, nil, ExitError
	}
	h, err := cheader.Parse(c.Header)
	if err != nil {
		return nil, nil, fail(stderr, cmd, fmt.Errorf("header of %s: %w", c.Path, err))
	}
	return c, h, 0
}
