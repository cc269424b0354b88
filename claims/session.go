package claims

import (
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"

	"github.com/seamfuzz/seam/boundary"
	"github.com/seamfuzz/seam/contract"
	"github.com/seamfuzz/seam/internal/sanrt"
)

// session is one child's engine and the state its check builds.
type session struct {
	b *boundary.Boundary
	c *contract.Contract
	e *boundary.Engine
}

// threadsN is how many threads a check runs; poolSize how many argument sets each function
// is called with (each answered serially first).
const (
	threadsN = 8
	poolSize = 6
)

// statusBusy is the contract's name of the status of a call refused because another thread
// holds the handle.
const statusBusy = "busy"

// violation is a broken claim: the error a check returns, which the parent turns into a
// VIOLATED row. Any other error is seam failing to run the check.
type violation struct {
	Func, Kind, Evidence string
}

func (v *violation) Error() string {
	return fmt.Sprintf("%s%s: %s: %s", violationPrefix, v.Func, v.Kind, v.Evidence)
}

// violationPrefix starts a violation's message, so the parent can tell it from an error.
const violationPrefix = "claim violated: "

// Kinds of violation.
const (
	KindCorrupted   = "corrupted-result-under-concurrency" // the serial answer differs
	KindStatus      = "status-not-serial-or-busy"          // an exclusive call returned something else
	KindBusyChanged = "busy-changed-state"                 // a refused call changed the handle
	KindNeverBusy   = "concurrent-use-not-detected"        // no call was ever refused
	KindFreedInUse  = "freed-while-in-use"                 // an exclusive free went ahead
	KindLastError   = "last-error-shared-between-threads"  // a thread read another's message
)

func violate(fn, kind, format string, a ...any) error {
	return &violation{Func: fn, Kind: kind, Evidence: fmt.Sprintf(format, a...)}
}

// call calls fn; an error is seam's (a call it could not make), never the engine's.
func (s *session) call(fn string, args boundary.Args) (boundary.Result, error) {
	return s.e.Call(fn, args)
}

// answer is what must be the same every time a call is made with the same arguments on the
// same state: everything it gave back, except a handle it made (a new one every time).
func answer(f *contract.Function, r boundary.Result) string {
	for _, p := range f.Params {
		if p.Role == contract.RoleHandleOut {
			return fmt.Sprintf("%s %d", r.Status, r.Ret)
		}
	}
	return r.String()
}

// freeMade frees the handles a call made (a constructor's), so a loop of them leaks nothing.
func (s *session) freeMade(r boundary.Result) error {
	for _, v := range r.Out {
		if v.Handle != nil {
			if err := s.e.Free(v.Handle); err != nil {
				return err
			}
		}
	}
	return nil
}

// pool is poolSize argument sets for f with the given handles, the same for the same
// handles: each thread draws the pool with its own handles and gets the serial pool's
// arguments.
func (s *session) pool(f *contract.Function, handles map[string]*boundary.Handle) []boundary.Args {
	out := make([]boundary.Args, poolSize)
	for i := range out {
		out[i] = newArgs(s.b, uint64(1000+i)).call(f, handles)
	}
	return out
}

// fillArgs are the arguments of filler fn for fill candidate k: every text argument of
// shape k.
func (s *session) fillArgs(f *contract.Function, k int, handles map[string]*boundary.Handle) boundary.Args {
	a := newArgs(s.b, uint64(100+k))
	args := a.call(f, handles)
	for _, p := range f.Params {
		if p.Role == contract.RoleBytes || p.Role == contract.RoleString {
			args[p.Name] = boundary.Bytes(a.text(p, k))
		}
	}
	return args
}

// makeHandle makes a handle of typ with its allocated_by function and fills it with fill
// candidate k (each filled_by function once, in order).
func (s *session) makeHandle(typ string, k int) (*boundary.Handle, error) {
	t := s.c.Type(typ)
	h, res, err := s.e.New(typ, newArgs(s.b, 1).call(s.c.Function(t.AllocatedBy), nil))
	if err != nil {
		return nil, err
	}
	if h == nil {
		return nil, fmt.Errorf("could not make a %s: %s", typ, res)
	}
	for _, fn := range t.FilledBy {
		f := s.c.Function(fn)
		if _, err := s.call(fn, s.fillArgs(f, k, map[string]*boundary.Handle{typ: h})); err != nil {
			s.e.Free(h)
			return nil, err
		}
	}
	return h, nil
}

// fills returns the fill candidates of typ that leave the most state behind, best first:
// each candidate is scored by how many calls of fns on it succeed. The second is one whose
// answers differ from the first's, when there is one (-1 otherwise).
func (s *session) fills(typ string, fns []*contract.Function) (best, other int, err error) {
	if len(s.c.Type(typ).FilledBy) == 0 {
		return 0, -1, nil
	}
	type cand struct {
		k, score int
		answers  string
	}
	var cands []cand
	for k := 0; k < textShapes; k++ {
		h, err := s.makeHandle(typ, k)
		if err != nil {
			return 0, 0, err
		}
		c := cand{k: k}
		for _, f := range fns {
			for _, args := range s.pool(f, map[string]*boundary.Handle{typ: h}) {
				r, err := s.call(f.Name, args)
				if err != nil {
					s.e.Free(h)
					return 0, 0, err
				}
				if r.Status == "ok" || r.Status == "" {
					c.score++
				}
				c.answers += answer(f, r) + "\n"
			}
		}
		if err := s.e.Free(h); err != nil {
			return 0, 0, err
		}
		cands = append(cands, c)
	}
	slices.SortStableFunc(cands, func(a, b cand) int { return b.score - a.score })
	other = -1
	for _, c := range cands[1:] {
		if c.answers != cands[0].answers && c.score > 0 {
			other = c.k
			break
		}
	}
	return cands[0].k, other, nil
}

// lastError is the calling thread's last error message.
func (s *session) lastError() (string, error) {
	f := s.c.Function(s.c.LastError)
	args := boundary.Args{}
	buf := ""
	for _, p := range f.Params {
		if p.Role == contract.RoleOutBuffer {
			args[p.Name], buf = boundary.Int(1024), p.Name
		}
	}
	r, err := s.call(f.Name, args)
	if err != nil {
		return "", err
	}
	b := r.Out[buf].Bytes
	return string(b[:min(max(int(r.Ret), 0), len(b))]), nil
}

// parallel runs body on n goroutines, each locked to its own OS thread (the last error and
// the engine's own thread state are per OS thread), started together; the first error wins.
// The start and the join are annotated for TSan, which cannot see the WaitGroups: what the
// serial part did happens before every thread's calls.
func parallel(n int, body func(i int) error) error {
	// Every thread gets a P: a thread returning from the engine must not wait for one while
	// the others run (fewer truly overlapping calls, and TSan sees a race only when calls
	// overlap).
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(max(2*n, runtime.GOMAXPROCS(0))))
	var wg, start sync.WaitGroup
	start.Add(1)
	errs := make([]error, n)
	begin, end := sanrt.Token(0), sanrt.Token(1)
	sanrt.Release(begin)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			start.Wait()
			sanrt.Acquire(begin)
			errs[i] = body(i)
			sanrt.Release(end)
		}(i)
	}
	start.Done()
	wg.Wait()
	sanrt.Acquire(end)
	// A violation says more than a seam error another thread hit because of it.
	for _, err := range errs {
		var v *violation
		if errors.As(err, &v) {
			return err
		}
	}
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
