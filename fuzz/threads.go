// Thread-claim checks for `seam threads`: each proves what the header claims for a group of
// functions, in a child process running the engine's TSan build (ASan for free, where a
// use-after-free is what a broken claim looks like). A data race halts the child with a TSan
// report; a wrong result or a missing SEAM_BUSY is returned as a violation.
package fuzz

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/seamfuzz/seam/engine"
	"github.com/seamfuzz/seam/internal/isolate"
	"github.com/seamfuzz/seam/internal/sanrt"
)

// ThreadCheck checks the claim of some functions.
type ThreadCheck struct {
	Name      string
	Functions []string
	Claim     string
	Variant   string // tsan, or asan for use-after-free symptoms
	run       func(e *engine.Engine) (string, error)
}

// ThreadChecks lists the checks in the order seam threads runs them.
func ThreadChecks() []ThreadCheck {
	return []ThreadCheck{
		{"readers", []string{"pricing_quote", "pricing_rules_describe", "pricing_rules_export"}, engine.ClaimThreadSafe, "tsan", checkReaders},
		{"load-busy", []string{"pricing_rules_load"}, engine.ClaimExclusive, "tsan", checkLoadBusy},
		{"free-busy", []string{"pricing_rules_free"}, engine.ClaimExclusive, "asan", checkFreeBusy},
		{"last-error", []string{"seam_last_error"}, engine.ClaimPerThread, "tsan", checkLastError},
		{"stateless", []string{"seam_abi_version", "seam_engine_name", "seam_layout", "pricing_rules_new", "seam_bytes_free"}, engine.ClaimAny, "tsan", checkStateless},
	}
}

// ThreadJobKind runs one check in an isolated child.
const ThreadJobKind = "thread-check"

func init() {
	isolate.Register(ThreadJobKind, func(args map[string]string) (isolate.Handler, error) {
		var check *ThreadCheck
		for _, c := range ThreadChecks() {
			if c.Name == args["check"] {
				c := c
				check = &c
			}
		}
		if check == nil {
			return nil, fmt.Errorf("unknown thread check %q", args["check"])
		}
		engines, err := OpenEngines([]string{args["engine"]}, args["variant"])
		if err != nil {
			return nil, err
		}
		return func([]byte) error {
			note, err := check.run(engines[0])
			fmt.Printf("note: %s\n", note)
			return err
		}, nil
	})
}

const threadsN = 8

// parallel runs body on n goroutines, each on its own OS thread, started together. The start
// and the join are annotated for TSan, which cannot see the WaitGroups.
func parallel(n int, body func(i int) error) error {
	// Every thread gets a P: a thread returning from the engine must not wait for one while the
	// others run (fewer truly overlapping calls, and TSan sees a race only when calls overlap:
	// the engines' own atomics order calls that do not).
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(max(2*n, runtime.GOMAXPROCS(0))))
	var wg sync.WaitGroup
	var start sync.WaitGroup
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
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func loadedHandle(e *engine.Engine, text string) (*engine.Rules, error) {
	r, err := mustNew(e)
	if err != nil {
		return nil, err
	}
	if st := r.Load(engine.Bytes([]byte(text))); st != engine.OK {
		r.Free()
		return nil, fmt.Errorf("load returned %v", st)
	}
	return r, nil
}

// checkReaders: quote, describe and export on one shared handle from many threads.
func checkReaders(e *engine.Engine) (string, error) {
	r, err := loadedHandle(e, RefRules)
	if err != nil {
		return "", err
	}
	defer r.Free()
	want, _ := r.DescribeAll(1)
	var calls atomic.Int64
	err = parallel(threadsN, func(i int) error {
		for k := 0; k < 3000; k++ {
			sub := int64(k*97 + i)
			res, st := r.Quote(engine.NewRequest(1, sub, 1, uint32(k%3)))
			rule := []Rule{{Tier: 0, DiscountBP: 1000, TaxBP: 825}, {Tier: 1, DiscountBP: 1500, TaxBP: 825, Code: "SAVE10", ExtraBP: 1000}, {Tier: 2}}[k%3]
			if st != engine.OK || res != Price(rule, sub, nil) {
				return contract("pricing_quote", "final_price_cents", "corrupted result under concurrency", "thread %d got %+v (%v), want %+v", i, res, st, Price(rule, sub, nil))
			}
			if k%10 == 0 {
				if d, st := r.DescribeAll(1); st != engine.OK || string(d) != string(want) {
					return contract("pricing_rules_describe", "text", "corrupted result under concurrency", "thread %d got %q (%v)", i, clip(string(d)), st)
				}
				if x, st := r.Export(); st != engine.OK || string(x) != RefRules {
					return contract("pricing_rules_export", "bytes", "corrupted result under concurrency", "thread %d got %q (%v)", i, clip(string(x)), st)
				}
			}
			calls.Add(1)
		}
		return nil
	})
	return fmt.Sprintf("%d threads, %d quotes with describe/export, all results exact", threadsN, calls.Load()), err
}

// altRules differs from RefRules for region 1 tier 0, so a quote shows which set it saw.
var altRules = strings.Replace(RefRules, "1,0,1000,825", "1,0,2000,825", 1)

// checkLoadBusy: loads racing quotes on one handle must be refused with SEAM_BUSY or done
// atomically — a quote sees the old rules or the new, never a mix or garbage.
func checkLoadBusy(e *engine.Engine) (string, error) {
	r, err := loadedHandle(e, RefRules)
	if err != nil {
		return "", err
	}
	defer r.Free()
	okA := Price(Rule{DiscountBP: 1000, TaxBP: 825}, 10000, nil)
	okB := Price(Rule{DiscountBP: 2000, TaxBP: 825}, 10000, nil)
	var busyLoads, doneLoads, busyQuotes atomic.Int64
	var stop atomic.Bool
	err = parallel(threadsN, func(i int) error {
		if i == 0 {
			defer stop.Store(true)
			for k := 0; k < 20000; k++ {
				text := RefRules
				if k%2 == 1 {
					text = altRules
				}
				switch st := r.Load(engine.Bytes([]byte(text))); st {
				case engine.Busy:
					busyLoads.Add(1)
				case engine.OK:
					doneLoads.Add(1)
				default:
					return contract("pricing_rules_load", "status", "exclusive call neither done nor refused", "got %v", st)
				}
			}
			return nil
		}
		for !stop.Load() {
			res, st := r.Quote(engine.NewRequest(1, 10000, 1, 0))
			switch {
			case st == engine.Busy:
				busyQuotes.Add(1)
			case st != engine.OK:
				return contract("pricing_quote", "status", "wrong status under concurrency", "got %v during loads", st)
			case res != okA && res != okB:
				return contract("pricing_quote", "final_price_cents", "corrupted result under concurrency", "%+v is neither rule set's price (%+v, %+v)", res, okA, okB)
			}
		}
		return nil
	})
	note := fmt.Sprintf("%d loads done, %d refused with SEAM_BUSY, %d quotes refused during loads", doneLoads.Load(), busyLoads.Load(), busyQuotes.Load())
	if err == nil && busyLoads.Load() == 0 {
		err = contract("pricing_rules_load", "status", "concurrent use not detected", "20000 loads during quotes, none refused with SEAM_BUSY")
	}
	return note, err
}

// checkFreeBusy: pricing_rules_free while other threads are inside calls on the handle must
// refuse (the handle stays valid). An engine that frees anyway is caught by ASan as the
// readers' use-after-free.
func checkFreeBusy(e *engine.Engine) (string, error) {
	var big strings.Builder
	for i := 0; i < engine.MaxRules; i++ {
		fmt.Fprintf(&big, "%d,%d,%d,%d,CODE%d:%d\n", i/3, i%3, i%10000, (i*7)%10000, i, i%10000)
	}
	r, err := loadedHandle(e, big.String())
	if err != nil {
		return "", err
	}
	// Readers export with ExportEqual: export, compare and bytes_free in one native crossing,
	// so a reader counted "inside" is inside the engine for nearly all of that time. With
	// Export (copy to Go, a second cgo call to free the bytes) the Go-side tail was long enough
	// that all counted readers were sometimes outside the engine: free then rightly succeeded
	// and the readers' next call was the harness's own use-after-free, not the engine's.
	want, st := r.Export()
	if st != engine.OK {
		return "", contract("pricing_rules_export", "status", "status not allowed", "after a successful load returned %v", st)
	}
	wantIn, err := e.NewInput(engine.Bytes(want))
	if err != nil {
		return "", err
	}
	defer wantIn.Free()
	// The freer must only free while readers are inside the engine; when all of them are
	// outside, the free rightly succeeds and a reader's next call is the harness's own
	// use-after-free (seen in 2-3 of 12 runs on 2 cores). So no garbage collection during the
	// race (a stop-the-world parks readers returning from the engine, counted inside) and:
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	// (parallel gives every thread a P: with GOMAXPROCS below the thread count most readers sat
	// parked outside the engine while still counted inside, so "readers are inside" was often
	// false.)
	var refused, attempts atomic.Int64
	var stop atomic.Bool
	var inside atomic.Int64
	err = parallel(threadsN, func(i int) error {
		if i == 0 {
			defer stop.Store(true)
			for k := 0; k < 200; k++ {
				for inside.Load() < threadsN-2 { // free only while readers are inside calls
					runtime.Gosched()
				}
				// A known last error first, so a refusal is visible as a change.
				e.NullRules().Load(engine.Bytes([]byte("x")))
				before := e.LastError()
				attempts.Add(1)
				r.Free()
				if e.LastError() != before {
					refused.Add(1)
					continue
				}
				return contract("pricing_rules_free", "status", "freed while in use", "attempt %d freed the handle while %d calls were in progress", k, inside.Load())
			}
			return nil
		}
		scratch, err := e.NewScratch()
		if err != nil {
			return err
		}
		defer scratch.Free()
		for !stop.Load() {
			inside.Add(1)
			same, _, st := r.ExportEqual(scratch, wantIn)
			inside.Add(-1)
			if st != engine.OK && st != engine.Busy {
				return contract("pricing_rules_export", "status", "wrong status under concurrency", "got %v", st)
			}
			if st == engine.OK && !same {
				return contract("pricing_rules_export", "bytes", "corrupted result under concurrency", "export differs while a free was refused")
			}
		}
		return nil
	})
	if err == nil {
		r.Free() // readers are done: now it must free
	}
	return fmt.Sprintf("%d of %d frees during calls were refused", refused.Load(), attempts.Load()), err
}

// checkLastError: each thread reads back its own last error, never another thread's.
func checkLastError(e *engine.Engine) (string, error) {
	r, err := loadedHandle(e, RefRules)
	if err != nil {
		return "", err
	}
	defer r.Free()
	err = parallel(threadsN, func(i int) error {
		fail := func() {
			if i%2 == 0 {
				r.Load(engine.Null(i + 1))
			} else {
				r.Quote(engine.NewRequest(1, 1, 3, 0))
			}
		}
		fail()
		mine := e.LastError()
		for k := 0; k < 2000; k++ {
			fail()
			if got := e.LastError(); got != mine {
				return contract("seam_last_error", "message", "last error shared between threads", "thread %d expected %q, read %q", i, mine, got)
			}
		}
		return nil
	})
	return fmt.Sprintf("%d threads x 2000 failures, each read its own message", threadsN), err
}

// checkStateless: functions with no shared state, called from every thread at once.
func checkStateless(e *engine.Engine) (string, error) {
	// Each concurrent answer must be what the same call gave alone (seam abi checks that
	// answer against the header).
	version, layout := e.ABIVersion(), e.Layout()
	err := parallel(threadsN, func(i int) error {
		for k := 0; k < 500; k++ {
			if v := e.ABIVersion(); v != version {
				return contract("seam_abi_version", "value", "changes under concurrency", "got %d, alone %d", v, version)
			}
			if l := e.Layout(); l != layout {
				return contract("seam_layout", "value", "changes under concurrency", "got %+v, alone %+v", l, layout)
			}
			h, err := loadedHandle(e, RefRules)
			if err != nil {
				return err
			}
			if x, st := h.Export(); st != engine.OK || string(x) != RefRules {
				return contract("pricing_rules_export", "bytes", "corrupted result under concurrency", "%q", clip(string(x)))
			}
			h.Free()
		}
		return nil
	})
	return fmt.Sprintf("%d threads x 500 new/load/export/bytes_free/free cycles", threadsN), err
}
