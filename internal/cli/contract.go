package cli

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/seamfuzz/seam/cheader"
	"github.com/seamfuzz/seam/contract"
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
		err = writeNew(*out, draft)
	}
	if err != nil {
		return fail(stderr, "contract init", err)
	}
	return ExitClean
}

func writeNew(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, os.ErrExist) {
		return fmt.Errorf("%s exists: give another -o, or remove it", path)
	}
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// runContractCheck prints one line per problem of the contract against its
// header and engines: exit 1 when there is any, 0 when it fits.
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
	specs := bf.specs()
	if !flagSet(fs, "engines") && os.Getenv("SEAM_ENGINES") == "" {
		specs = c.EngineNames()
	}
	var libs []string
	for _, s := range specs {
		lib, err := c.Library(s, bf.variant)
		if err != nil {
			return fail(stderr, "contract check", err)
		}
		libs = append(libs, lib)
	}
	problems := contract.Check(c, h, libs)
	for _, p := range problems {
		fmt.Fprintln(stdout, p)
	}
	if len(problems) > 0 {
		fmt.Fprintf(stdout, "%d problems\n", len(problems))
		return ExitFindings
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

// loadContract reads -contract and its header. A contract that does not read
// is a finding (its lines on stdout, exit 1); a header that does not parse
// leaves seam unable to do its job (exit 2).
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
			fmt.Fprintln(stdout, l)
		}
		return nil, nil, ExitFindings
	}
	h, err := cheader.Parse(c.Header)
	if err != nil {
		return nil, nil, fail(stderr, cmd, fmt.Errorf("header of %s: %w", c.Path, err))
	}
	return c, h, 0
}
