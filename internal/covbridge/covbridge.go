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
#define _GNU_SOURCE
#include <link.h>
#include <stdint.h>
#include <string.h>

#define SEAM_COV_SLOTS 4096
static uint8_t seam_cov_hit[SEAM_COV_SLOTS];
static uint16_t seam_cov_list[SEAM_COV_SLOTS];
static int seam_cov_n;
static int seam_cov_calls;

// Executable ranges of the instrumented modules seen so far. A PC is hashed relative to its
// module's load address (salted with the module's name), not as an absolute address: ASLR puts
// the engine at a different address in every go test -fuzz worker, and a slot must mean the
// same native edge in all of them, or the coordinator merges unrelated coverage.
typedef struct { uintptr_t lo, hi, base, salt; } seam_cov_module;
static seam_cov_module seam_cov_mods[8];
static int seam_cov_nmods;

static int seam_cov_find(struct dl_phdr_info *info, size_t size, void *data) {
	uintptr_t pc = *(uintptr_t *)data;
	(void)size;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X)) continue;
		uintptr_t lo = info->dlpi_addr + ph->p_vaddr, hi = lo + ph->p_memsz;
		if (pc < lo || pc >= hi) continue;
		uintptr_t salt = 14695981039346656037ull; // FNV-1a of the module path
		for (const char *c = info->dlpi_name ? info->dlpi_name : ""; *c; c++) salt = (salt ^ (uint8_t)*c) * 1099511628211ull;
		seam_cov_mods[seam_cov_nmods++] = (seam_cov_module){lo, hi, info->dlpi_addr, salt};
		return 1;
	}
	return 0;
}

static uintptr_t seam_cov_relative(uintptr_t pc) {
	for (int i = 0; i < seam_cov_nmods; i++) {
		if (pc >= seam_cov_mods[i].lo && pc < seam_cov_mods[i].hi) return (pc - seam_cov_mods[i].base) ^ seam_cov_mods[i].salt;
	}
	if (seam_cov_nmods < 8 && dl_iterate_phdr(seam_cov_find, &pc)) {
		seam_cov_module *m = &seam_cov_mods[seam_cov_nmods - 1];
		return (pc - m->base) ^ m->salt;
	}
	return pc;
}

__attribute__((visibility("default"))) void __sanitizer_cov_trace_pc(void) {
	uintptr_t pc = seam_cov_relative((uintptr_t)__builtin_return_address(0));
	// Fibonacci hashing spreads nearby PCs over the slots.
	unsigned slot = (unsigned)((pc * 11400714819323198485ull) >> 52) & (SEAM_COV_SLOTS - 1);
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

// Slots is the number of coverage slots. Each costs Go's fuzzer ~1.75 ns per exec; with 1024,
// the ~190 slots the rules seeds hit alone swallowed a rung of the 8-byte magic's ladder in
// about one run in four (measured by TestCoverageBridgeSeesEachRungOfTheMagic), so 4096.
const Slots = 4096

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

// LastSlots returns the slots the last input hit, as Feed passes them on.
func LastSlots() []uint16 {
	n := int(C.seam_cov_take((*C.uint16_t)(unsafe.Pointer(&hits[0]))))
	return append([]uint16(nil), hits[:n]...)
}
