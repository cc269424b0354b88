// Package covbridge feeds native code coverage to go test -fuzz, which cannot see it
// (golang/go#14565). Engines of the "cov" variant are built with gcc's
// -fsanitize-coverage=trace-pc (Rust: LLVM's sancov pass), which calls
// __sanitizer_cov_trace_pc at every edge. This package defines that callback: it maps the
// calling site to one of Slots slots (its own, numbered when the module is first seen) and
// remembers which slots an input hit. After each input,
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
#include <stdlib.h>
#include <string.h>

#define SEAM_COV_SLOTS 4096
static uint8_t seam_cov_hit[SEAM_COV_SLOTS];
static uint16_t seam_cov_list[SEAM_COV_SLOTS];
static int seam_cov_n;
static int seam_cov_calls;

// Executable ranges of the instrumented modules seen so far. A PC is named relative to its
// module's load address, not as an absolute address: ASLR puts the engine at a different
// address in every go test -fuzz worker, and a slot must mean the same native edge in all of
// them, or the coordinator merges unrelated coverage.
typedef struct {
	uintptr_t lo, hi, base, salt;
	uint16_t *slot_of; // slot+1 for each return address of a trace-pc call in [lo, hi]
	int numbered;
} seam_cov_module;
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
		// Unreadable code cannot be numbered (see seam_cov_number): mark it done.
		seam_cov_mods[seam_cov_nmods++] = (seam_cov_module){lo, hi, info->dlpi_addr, salt, NULL, !(ph->p_flags & PF_R)};
		return 1;
	}
	return 0;
}

static seam_cov_module *seam_cov_module_of(uintptr_t pc) {
	for (int i = 0; i < seam_cov_nmods; i++) {
		if (pc >= seam_cov_mods[i].lo && pc < seam_cov_mods[i].hi) return &seam_cov_mods[i];
	}
	if (seam_cov_nmods < 8 && dl_iterate_phdr(seam_cov_find, &pc)) return &seam_cov_mods[seam_cov_nmods - 1];
	return NULL;
}

static uintptr_t seam_cov_relative(uintptr_t pc) {
	seam_cov_module *m = seam_cov_module_of(pc);
	return m ? (pc - m->base) ^ m->salt : pc;
}

// seam_cov_number gives every trace-pc call site of m its own slot: hashing PCs into slots made
// distinct edges share one (a rung of the 8-byte magic collided with an edge the seeds hit, so
// reaching it was no new coverage). The first call from m (ret) names the callback's PLT stub;
// every "call rel32" to that stub is a site, numbered in address order from a start derived
// from the module's name, the same in every worker whatever order modules are first used in.
// Sites past the slot count wrap (a module with more sites than slots shares some); a site the
// scan missed (a tail call) falls back to hashing.
static void seam_cov_number(seam_cov_module *m, uintptr_t ret) {
	m->numbered = 1;
	if (ret < m->lo + 5 || *(const uint8_t *)(ret - 5) != 0xe8) return;
	int32_t rel;
	memcpy(&rel, (const void *)(ret - 4), 4);
	uintptr_t stub = ret + (intptr_t)rel;
	uint16_t *t = calloc(m->hi - m->lo + 1, sizeof(uint16_t));
	if (!t) return;
	unsigned next = (unsigned)(m->salt >> 40);
	for (uintptr_t p = m->lo; p + 5 <= m->hi; p++) {
		if (*(const uint8_t *)p != 0xe8) continue;
		memcpy(&rel, (const void *)(p + 1), 4);
		if (p + 5 + (intptr_t)rel != stub) continue;
		t[p + 5 - m->lo] = (uint16_t)(next++ % SEAM_COV_SLOTS) + 1;
	}
	m->slot_of = t;
}

// The comparison callbacks (compares.go) name call sites the same way.
uintptr_t seam_cov_site(uintptr_t pc) { return seam_cov_relative(pc); }

__attribute__((visibility("default"))) void __sanitizer_cov_trace_pc(void) {
	uintptr_t ret = (uintptr_t)__builtin_return_address(0);
	seam_cov_module *m = seam_cov_module_of(ret);
	unsigned slot;
	if (m && !m->numbered) seam_cov_number(m, ret);
	if (m && m->slot_of && m->slot_of[ret - m->lo]) {
		slot = m->slot_of[ret - m->lo] - 1u;
	} else {
		uintptr_t pc = m ? (ret - m->base) ^ m->salt : ret;
		// Fibonacci hashing spreads nearby PCs over the slots.
		slot = (unsigned)((pc * 11400714819323198485ull) >> 52) & (SEAM_COV_SLOTS - 1);
	}
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

// Slots is the number of coverage slots. Each costs Go's fuzzer ~1.75 ns per exec. The C++
// engine has ~530 edge sites, each with its own slot; the Rust engine ~4500, so some share.
const Slots = 4096

var hits [Slots]uint16

// Reset forgets the previous input's coverage.
func Reset() { C.seam_cov_reset() }

// fed remembers every slot this process has fed; fresh counts the last Feed's first-timers.
var (
	fed   [Slots]bool
	fresh int
)

// Feed passes the slots the last input hit to Go's coverage counters and returns how many.
func Feed() int {
	n := int(C.seam_cov_take((*C.uint16_t)(unsafe.Pointer(&hits[0]))))
	fresh = 0
	for _, s := range hits[:n] {
		mark(int(s))
		if !fed[s] {
			fed[s] = true
			fresh++
		}
	}
	return n
}

// Fresh is how many of the slots the last Feed passed on no earlier Feed in this process had:
// the input reached native code this worker had not seen.
func Fresh() int { return fresh }

// ForgetFed makes every slot fresh again (a test that needs a worker's first view).
func ForgetFed() { fed, fresh = [Slots]bool{}, 0 }

// Edges is how many instrumented edges the last input executed (0 without a cov engine).
func Edges() int { return int(C.seam_cov_edges()) }

// LastSlots returns the slots the last input hit, as Feed passes them on.
func LastSlots() []uint16 {
	n := int(C.seam_cov_take((*C.uint16_t)(unsafe.Pointer(&hits[0]))))
	return append([]uint16(nil), hits[:n]...)
}
