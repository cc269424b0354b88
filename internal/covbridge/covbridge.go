// Package covbridge feeds native code coverage to go test -fuzz, which cannot see it
// (golang/go#14565). Engines of the "cov" variant are built with gcc's
// -fsanitize-coverage=trace-pc (Rust: LLVM's sancov pass), which calls
// __sanitizer_cov_trace_pc at every edge. This package defines that callback: it hashes the
// caller's PC into one of Slots slots and remembers which slots an input hit. After each input,
// Feed replays the hit slots through a generated Go switch with one case per slot, so each
// native edge-slot becomes a Go branch that Go's own coverage instrumentation counts, and the
// fuzzer keeps inputs that reach new native code.
//
// Not for concurrent use: one fuzz worker runs one input at a time; keep the cov variant out
// of stress runs.
package covbridge

//go:generate go run gen.go

/*
#cgo LDFLAGS: -rdynamic
#include <stdint.h>
#include <string.h>

#define SEAM_COV_SLOTS 1024
static uint8_t seam_cov_hit[SEAM_COV_SLOTS];
static uint16_t seam_cov_list[SEAM_COV_SLOTS];
static int seam_cov_n;
static int seam_cov_calls;

__attribute__((visibility("default"))) void __sanitizer_cov_trace_pc(void) {
	uintptr_t pc = (uintptr_t)__builtin_return_address(0);
	// Fibonacci hashing spreads nearby PCs over the slots.
	unsigned slot = (unsigned)((pc * 11400714819323198485ull) >> 54) & (SEAM_COV_SLOTS - 1);
	seam_cov_calls++;
	if (!seam_cov_hit[slot]) {
		seam_cov_hit[slot] = 1;
		seam_cov_list[seam_cov_n++] = (uint16_t)slot;
	}
}

static void seam_cov_reset(void) {
	for (int i = 0; i < seam_cov_n; i++) seam_cov_hit[seam_cov_list[i]] = 0;
	seam_cov_n = 0;
	seam_cov_calls = 0;
}

static int seam_cov_take(uint16_t *out) {
	memcpy(out, seam_cov_list, sizeof(uint16_t) * seam_cov_n);
	return seam_cov_n;
}

static int seam_cov_edges(void) { return seam_cov_calls; }
*/
import "C"

import "unsafe"

// Slots is the number of coverage slots (RECIPES: ~1024 keeps the Go-side cost near 2 ns/slot).
const Slots = 1024

var hits [Slots]uint16

// Reset forgets the previous input's coverage.
func Reset() { C.seam_cov_reset() }

// Feed passes the slots the last input hit to Go's coverage counters and returns how many.
func Feed() int {
	n := int(C.seam_cov_take((*C.uint16_t)(unsafe.Pointer(&hits[0]))))
	for _, s := range hits[:n] {
		mark(int(s))
	}
	return n
}

// Edges is how many instrumented edges the last input executed (0 without a cov engine).
func Edges() int { return int(C.seam_cov_edges()) }
