package claims

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"slices"
	"sync/atomic"
	"time"

	"github.com/seamfuzz/seam/boundary"
	"github.com/seamfuzz/seam/contract"
	"github.com/seamfuzz/seam/ffi"
)

// errSkip is returned by a check that finds nothing it can observe on this boundary.
type errSkip struct{ why string }

func (e errSkip) Error() string { return e.why }

// run runs one check; the note says what ran.
func (s *session) run(ch Check) (string, error) {
	switch {
	case ch.IsType:
		t := s.c.Type(ch.Subject)
		rs := readers(s.c, t.Name)
		var ws []*contract.Function
		if t.Threads == contract.ThreadsExclusive {
			for _, f := range s.c.Functions {
				if f.Threads == contract.ThreadsExclusive && t.FreedBy.Func != f.Name && slices.Contains(handleTypes(f), t.Name) {
					ws = append(ws, f)
				}
			}
		}
		if len(ws) == 0 {
			return s.shared(rs, t.Name)
		}
		return s.exclusive(ws, rs, t.Name)
	case ch.What == checkPerThread:
		return s.perThread()
	}
	f := s.c.Function(ch.Subject)
	if t := freedType(s.c, f.Name); t != nil && t.Kind != contract.KindHandle {
		// A free function of a value: the calls that allocate values, each freed with it.
		f = s.c.Function(t.AllocatedBy)
	}
	if ch.What == checkExclusive {
		typ := handleTypes(f)[0]
		if s.c.Type(typ).FreedBy.Func == f.Name {
			return s.free(f, typ)
		}
		return s.exclusive([]*contract.Function{f}, readers(s.c, typ), typ)
	}
	return s.parallelCalls(f)
}

// parallelCalls: f from every thread at once, each call's answer the one it gave alone. Its
// handles are shared where their type allows, private to each thread (made and filled the
// same way) where it does not.
func (s *session) parallelCalls(f *contract.Function) (string, error) {
	shared := map[string]*boundary.Handle{}
	var private []string
	fill := map[string]int{}
	for _, typ := range handleTypes(f) {
		k, _, err := s.fills(typ, []*contract.Function{f})
		if err != nil {
			return "", err
		}
		fill[typ] = k
		if s.c.Type(typ).Threads == contract.ThreadsNone {
			private = append(private, typ)
			continue
		}
		h, err := s.makeHandle(typ, k)
		if err != nil {
			return "", err
		}
		defer s.e.Free(h)
		shared[typ] = h
	}
	// handles makes a thread's private handles; free frees them.
	handles := func() (map[string]*boundary.Handle, func(), error) {
		hs := map[string]*boundary.Handle{}
		for t, h := range shared {
			hs[t] = h
		}
		free := func() {
			for _, t := range private {
				s.e.Free(hs[t])
			}
		}
		for _, t := range private {
			h, err := s.makeHandle(t, fill[t])
			if err != nil {
				free()
				return nil, nil, err
			}
			hs[t] = h
		}
		return hs, free, nil
	}
	hs, free, err := handles()
	if err != nil {
		return "", err
	}
	want := make([]string, poolSize)
	for i, args := range s.pool(f, hs) {
		r, err := s.call(f.Name, args)
		if err != nil {
			free()
			return "", err
		}
		want[i] = answer(f, r)
		if err := s.freeMade(r); err != nil {
			free()
			return "", err
		}
	}
	free()
	const rounds = 200
	err = parallel(threadsN, func(th int) error {
		hs, free, err := handles()
		if err != nil {
			return err
		}
		defer free()
		pool := s.pool(f, hs)
		for k := 0; k < rounds*poolSize; k++ {
			i := (k + th) % poolSize
			r, err := s.call(f.Name, pool[i])
			if err != nil {
				return err
			}
			if got := answer(f, r); got != want[i] {
				return violate(f.Name, KindCorrupted, "thread %d got %s; alone: %s", th, clip(got), clip(want[i]))
			}
			if err := s.freeMade(r); err != nil {
				return err
			}
		}
		return nil
	})
	where := "no handle"
	if len(shared) > 0 {
		where = "one shared handle"
	}
	if len(private) > 0 {
		where = "a private handle per thread"
	}
	return fmt.Sprintf("%d threads x %d calls (%s), every answer the serial one", threadsN, rounds*poolSize, where), err
}

// shared: every reader of one handle from many threads at once (each on two threads), every
// answer the serial one on the same state.
func (s *session) shared(rs []*contract.Function, typ string) (string, error) {
	k, _, err := s.fills(typ, rs)
	if err != nil {
		return "", err
	}
	h, err := s.makeHandle(typ, k)
	if err != nil {
		return "", err
	}
	defer s.e.Free(h)
	hs := map[string]*boundary.Handle{typ: h}
	want, err := s.answers(rs, hs)
	if err != nil {
		return "", err
	}
	var calls atomic.Int64
	err = parallel(2*len(rs), func(th int) error {
		f := rs[th%len(rs)]
		pool := s.pool(f, hs)
		for k := 0; k < 1200; k++ {
			i := k % poolSize
			r, err := s.call(f.Name, pool[i])
			if err != nil {
				return err
			}
			if got := answer(f, r); got != want[f.Name][i] {
				return violate(f.Name, KindCorrupted, "thread %d got %s; alone: %s", th, clip(got), clip(want[f.Name][i]))
			}
			calls.Add(1)
		}
		return nil
	})
	return fmt.Sprintf("%d calls of %s on one handle, every answer the serial one", calls.Load(), names(rs)), err
}

// answers are the serial answers of each function's pool on the given handles.
func (s *session) answers(fns []*contract.Function, hs map[string]*boundary.Handle) (map[string][]string, error) {
	out := map[string][]string{}
	for _, f := range fns {
		for _, args := range s.pool(f, hs) {
			r, err := s.call(f.Name, args)
			if err != nil {
				return nil, err
			}
			out[f.Name] = append(out[f.Name], answer(f, r))
		}
	}
	return out, nil
}

// exclusiveBudget bounds an exclusive check; one that saw no refusal needs minContended
// calls made while another thread was inside one before it may say the engine never refuses.
const (
	exclusiveBudget = 4 * time.Second
	minContended    = 1000
)

// exclusive: each of ws on its own thread, again and again, while every reader of the handle
// runs on its own thread (one each, so readers never contend with each other here: that is
// their own rows' check). Each call of ws returns what it returns alone or busy, a reader
// sees the state before or after a call of ws, never anything else, and a call of ws that
// returned busy changed nothing. A writer alternates two fills, so a change is visible.
func (s *session) exclusive(ws, rs []*contract.Function, typ string) (string, error) {
	probe := rs
	if len(probe) == 0 {
		probe = ws
	}
	kA, kB, err := s.fills(typ, probe)
	if err != nil {
		return "", err
	}
	if kB < 0 {
		kB = kA
	}
	t := s.c.Type(typ)
	h, err := s.makeHandle(typ, kA)
	if err != nil {
		return "", err
	}
	defer s.e.Free(h)
	hs := map[string]*boundary.Handle{typ: h}
	// The readers' answers in either state, from a handle of each.
	state := [2]map[string][]string{}
	for i, k := range []int{kA, kB} {
		sh, err := s.makeHandle(typ, k)
		if err != nil {
			return "", err
		}
		state[i], err = s.answers(rs, map[string]*boundary.Handle{typ: sh})
		s.e.Free(sh)
		if err != nil {
			return "", err
		}
	}
	// Each writer's two calls and their serial answers: a filler gets fill A and fill B, any
	// other exclusive function its first pooled call twice.
	type wcall struct {
		args boundary.Args
		want string
	}
	wcalls := map[string][2]wcall{}
	for _, w := range ws {
		filler := slices.Contains(t.FilledBy, w.Name)
		// A filler's call for state k is k's fill; any other exclusive call is its first
		// pooled one, on state A (it changes nothing).
		argsFor := func(k int, hs map[string]*boundary.Handle) boundary.Args {
			if filler {
				return s.fillArgs(w, k, hs)
			}
			return s.pool(w, hs)[0]
		}
		var pair [2]wcall
		for i, k := range []int{kA, kB} {
			on := k
			if !filler {
				on = kA
			}
			sh, err := s.makeHandle(typ, on)
			if err != nil {
				return "", err
			}
			r, err := s.call(w.Name, argsFor(k, map[string]*boundary.Handle{typ: sh}))
			s.e.Free(sh)
			if err != nil {
				return "", err
			}
			pair[i] = wcall{argsFor(k, hs), answer(w, r)}
		}
		wcalls[w.Name] = pair
	}
	// The busy check reads the state back on the writer's thread: only with one writer is the
	// state after a refused call the one its last successful call left.
	checkBusy := len(ws) == 1 && len(rs) > 0 && kA != kB
	var done atomic.Int32
	var calls, busy, reads, contended atomic.Int64
	// pause holds the readers between calls while a writer reads the state back; inside
	// counts the threads in a call.
	var pause atomic.Bool
	var inside atomic.Int64
	deadline := time.Now().Add(exclusiveBudget)
	err = parallel(len(ws)+len(rs), func(th int) error {
		if th < len(ws) {
			w := ws[th]
			defer done.Add(1)
			last := 0 // the state the handle holds: its fill A
			// Contention needs the readers running: on a loaded machine they may start after
			// a writer's first thousands of calls.
			for len(rs) > 0 && reads.Load() == 0 && time.Now().Before(deadline) {
				runtime.Gosched()
			}
			for k := 0; time.Now().Before(deadline); k++ {
				// Enough refusals seen ends the check early; without one it runs to the
				// deadline: "another thread is inside a call" is seen from seam's side, and on
				// a loaded machine that thread may sit descheduled before the engine for tens
				// of thousands of calls, so no count of them proves an engine never refuses.
				if busy.Load() >= 50 && k >= 500 {
					break
				}
				i := k % 2
				c := wcalls[w.Name][i]
				if inside.Add(1) > 1 {
					contended.Add(1)
				}
				r, err := s.call(w.Name, c.args)
				inside.Add(-1)
				if err != nil {
					return err
				}
				calls.Add(1)
				switch got := answer(w, r); {
				case r.Status == statusBusy:
					busy.Add(1)
					if !checkBusy {
						continue
					}
					// Read the state back alone: a reader's wrong answer under concurrency is
					// its own row's finding, not this call's.
					pause.Store(true)
					for inside.Load() > 0 {
						runtime.Gosched()
					}
					f := rs[0]
					rr, err := s.call(f.Name, s.pool(f, hs)[0])
					pause.Store(false)
					if err != nil {
						return err
					}
					if a := answer(f, rr); a != state[last][f.Name][0] {
						return violate(w.Name, KindBusyChanged, "returned busy, then %s gave %s; before: %s", f.Name, clip(a), clip(state[last][f.Name][0]))
					}
				case got == c.want:
					if slices.Contains(t.FilledBy, w.Name) {
						last = i
					}
				default:
					return violate(w.Name, KindStatus, "under contention gave %s; alone: %s (only that or busy is allowed)", clip(got), clip(c.want))
				}
			}
			return nil
		}
		f := rs[th-len(ws)]
		pool := s.pool(f, hs)
		for k := 0; int(done.Load()) < len(ws); k++ {
			if pause.Load() {
				runtime.Gosched()
				continue
			}
			inside.Add(1)
			if pause.Load() {
				inside.Add(-1)
				continue
			}
			i := k % poolSize
			r, err := s.call(f.Name, pool[i])
			inside.Add(-1)
			if err != nil {
				return err
			}
			reads.Add(1)
			if got := answer(f, r); r.Status != statusBusy && got != state[0][f.Name][i] && got != state[1][f.Name][i] {
				return violate(ws[0].Name, KindCorrupted, "%s on the handle gave %s during %s; alone, before or after: %s", f.Name, clip(got), names(ws), clip(state[0][f.Name][i]))
			}
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	note := fmt.Sprintf("%d calls of %s during %d of %s, %d refused with busy", calls.Load(), names(ws), reads.Load(), names(rs), busy.Load())
	if busy.Load() == 0 && contended.Load() < minContended {
		return note, errSkip{fmt.Sprintf("inconclusive: in %s only %d calls of %s overlapped another thread's call (the machine kept them apart); rerun on a less loaded machine", exclusiveBudget, contended.Load(), names(ws))}
	}
	if busy.Load() == 0 {
		return note, violate(ws[0].Name, KindNeverBusy, "%d calls (%d of them while %s was inside a call on the same handle), none returned busy", calls.Load(), contended.Load(), names(probe))
	}
	return note, nil
}

// free: the exclusive free function of typ, called while readers are inside calls on the
// handle, must refuse (the handle stays valid): it is void, so a refusal is a change of the
// calling thread's last error, set to a known message first. An engine that frees anyway
// fails here, or its readers' use after free stops the child.
func (s *session) free(f *contract.Function, typ string) (string, error) {
	rs := readers(s.c, typ)
	if len(rs) == 0 {
		return "", errSkip{"no read-only function takes a " + typ + ": nothing can be in progress while it is freed"}
	}
	if !ffi.ProcessHas("__tsan_init") {
		// Without TSan an engine call is short beside seam's side of it: a free finds every
		// reader on seam's side too often, goes ahead rightly, and the readers' next calls
		// use the freed handle. Under TSan the engine's side is the long one.
		return "", errSkip{"a free racing calls is judged only in the tsan variant"}
	}
	marker, err := s.failingCall(typ)
	if err != nil {
		return "", err
	}
	k, _, err := s.fills(typ, rs)
	if err != nil {
		return "", err
	}
	h, err := s.makeHandle(typ, k)
	if err != nil {
		return "", err
	}
	hs := map[string]*boundary.Handle{typ: h}
	want, err := s.answers(rs, hs)
	if err != nil {
		return "", err
	}
	var hp string
	for _, p := range f.Params {
		if p.Role == contract.RoleHandle {
			hp = p.Name
		}
	}
	// No garbage collection during the race: a stop-the-world parks readers on their way
	// back from the engine while they still count as inside.
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	var refused, attempts atomic.Int64
	var stop atomic.Bool
	var inside atomic.Int64
	readersN := threadsN - 1
	err = parallel(threadsN, func(th int) error {
		if th == 0 {
			defer stop.Store(true)
			for k := 0; k < 100; k++ {
				// Only while every reader is in a call, seen on a few reads in a row: a reader
				// counted inside may still be laying out its arguments on seam's side.
				for seen := 0; seen < 4; {
					if inside.Load() < int64(readersN) {
						seen = 0
						runtime.Gosched()
						continue
					}
					seen++
				}
				if _, err := s.call(marker.fn, marker.args); err != nil {
					return err
				}
				before, err := s.lastError()
				if err != nil {
					return err
				}
				attempts.Add(1)
				n := inside.Load()
				if _, err := s.call(f.Name, boundary.Args{hp: boundary.Of(h)}); err != nil {
					return err
				}
				after, err := s.lastError()
				if err != nil {
					return err
				}
				if after == before {
					if refused.Load() > 0 {
						// The engine refuses while a call is in progress: this free found every
						// counted reader still on seam's side of the call, went ahead rightly,
						// and the readers cannot be stopped before their next call.
						return errStoppedAfterFree
					}
					return violate(f.Name, KindFreedInUse, "attempt %d freed the handle while %d calls on it were in progress (the last error is unchanged: no refusal)", k, n)
				}
				// Before the next attempt, which may free rightly and have seam's readers
				// use the freed handle: the parent reads the count from the dead child.
				fmt.Printf("%s%d\n", refusedLine, refused.Add(1))
			}
			return nil
		}
		// Laid out before the race: counted inside, a reader is in the engine but for the
		// crossing and the outputs' reset and read-back. Laying a call out each time (guard
		// pages: mmap and mprotect) kept the readers on seam's side most of the time they
		// counted as inside, and on a loaded machine a free found none of them in the engine.
		fn := rs[th%len(rs)]
		var pool []*boundary.Prepared
		defer func() {
			for _, p := range pool {
				p.Free()
			}
		}()
		for _, args := range s.pool(fn, hs) {
			p, err := s.e.Prepare(fn.Name, args)
			if err != nil {
				return err
			}
			pool = append(pool, p)
		}
		for k := 0; !stop.Load(); k++ {
			i := k % poolSize
			inside.Add(1)
			r := pool[i].Call()
			inside.Add(-1)
			if got := answer(fn, r); r.Status != statusBusy && got != want[fn.Name][i] {
				return violate(f.Name, KindCorrupted, "%s gave %s while frees were refused; alone: %s", fn.Name, clip(got), clip(want[fn.Name][i]))
			}
		}
		return nil
	})
	if err == errStoppedAfterFree {
		return fmt.Sprintf("%d of %d frees during calls were refused; the last went ahead with no call in the engine", refused.Load(), attempts.Load()), nil
	}
	if err == nil {
		err = s.e.Free(h) // the readers are done: now it frees
	}
	return fmt.Sprintf("%d of %d frees during calls of %s were refused", refused.Load(), attempts.Load(), names(rs)), err
}

// errStoppedAfterFree ends a free check whose free went ahead after earlier refusals.
var errStoppedAfterFree = errSkip{"stopped after a free that went ahead"}

// refusedLine counts a free check's refusals on the child's output.
const refusedLine = "claims-refused: "

// failure is a call that fails with a broken precondition.
type failure struct {
	fn   string
	args boundary.Args
}

// failures are calls that must fail, whatever the state: each function's handle parameter
// NULL, and each integer one past its range, where the contract names the status (so the
// engine sets the last error). The integer cases take their handles from hs, which holds only
// handles the contract lets threads share (none: no integer cases with handles).
func (s *session) failures(hs map[string]*boundary.Handle) []failure {
	var out []failure
	for _, f := range s.c.Functions {
		if f.Threads == contract.ThreadsNone || f.Name == s.c.LastError {
			continue
		}
		if freedType(s.c, f.Name) != nil {
			continue // a free function: NULL is usually fine, and it frees
		}
		for _, p := range f.Params {
			switch {
			case p.Role == contract.RoleHandle && realStatus(s.c.Status(f, p, contract.PreNull)):
				args := newArgs(s.b, 7).call(f, hs)
				args[p.Name] = boundary.Null
				out = append(out, failure{f.Name, args})
			case p.Role == contract.RoleInt && p.Range[1] != "" && realStatus(s.c.Status(f, p, contract.PreOverMax)):
				a := newArgs(s.b, 7)
				args := a.call(f, hs)
				if !complete(f, args) {
					continue
				}
				hi, _ := a.resolve(p.Range[1])
				args[p.Name] = boundary.Int(hi + 1)
				out = append(out, failure{f.Name, args})
			}
		}
	}
	return out
}

// complete reports whether args give every handle parameter of f.
func complete(f *contract.Function, args boundary.Args) bool {
	for _, p := range f.Params {
		if _, ok := args[p.Name]; p.Role == contract.RoleHandle && !ok {
			return false
		}
	}
	return true
}

func realStatus(s string) bool {
	return s != "" && s != contract.Allowed && s != contract.CallerGuarantee
}

// failingCall is a call that sets the last error, for typ's free check.
func (s *session) failingCall(typ string) (failure, error) {
	fs := s.failures(nil)
	if len(fs) == 0 {
		return failure{}, errSkip{"no call the contract says fails (a NULL handle with a status) to set a known last error"}
	}
	return fs[0], nil
}

// perThread: each thread fails its own way, again and again, and reads its own message back.
func (s *session) perThread() (string, error) {
	hs := map[string]*boundary.Handle{}
	for _, t := range s.c.Types {
		if t.Kind == contract.KindHandle && t.Threads != contract.ThreadsNone && t.AllocatedBy != "" {
			h, err := s.makeHandle(t.Name, 0)
			if err != nil {
				return "", err
			}
			defer s.e.Free(h)
			hs[t.Name] = h
		}
	}
	// The failures with distinct messages, each learnt alone (on the check's one thread).
	var fails []failure
	var msgs []string
	for _, fl := range s.failures(hs) {
		r, err := s.call(fl.fn, fl.args)
		if err != nil {
			return "", err
		}
		if r.Status == "ok" || r.Status == "" {
			continue
		}
		m, err := s.lastError()
		if err != nil {
			return "", err
		}
		if m != "" && !slices.Contains(msgs, m) {
			fails, msgs = append(fails, fl), append(msgs, m)
		}
	}
	if len(fails) < 2 {
		return "", errSkip{fmt.Sprintf("%d failing call(s) with a distinct message: two are needed to tell threads apart", len(fails))}
	}
	const rounds = 1000
	err := parallel(threadsN, func(th int) error {
		i := th % len(fails)
		for k := 0; k < rounds; k++ {
			if _, err := s.call(fails[i].fn, fails[i].args); err != nil {
				return err
			}
			got, err := s.lastError()
			if err != nil {
				return err
			}
			if got != msgs[i] {
				return violate(s.c.LastError, KindLastError, "thread %d failed in %s and read %q; its own message is %q", th, fails[i].fn, clip(got), clip(msgs[i]))
			}
		}
		return nil
	})
	return fmt.Sprintf("%d threads x %d failures (%d distinct messages), each read its own", threadsN, rounds, len(fails)), err
}

func names(fs []*contract.Function) string {
	var out string
	for i, f := range fs {
		if i > 0 {
			out += ", "
		}
		out += f.Name
	}
	return out
}

// clip shortens an answer for a one-line evidence.
func clip(s string) string {
	if len(s) > 120 {
		return fmt.Sprintf("%s...(%d bytes)", s[:100], len(s))
	}
	return s
}
