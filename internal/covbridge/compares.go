package covbridge

// Comparison feedback (what libFuzzer's -use_cmp and AFL++'s cmplog give those fuzzers). The cov
// variant is also built with -fsanitize-coverage=trace-cmp (Rust: trace-compares), which calls
// __sanitizer_cov_trace_[const_]cmpN before every integer comparison and
// __sanitizer_cov_trace_switch before every switch; ASan's memcmp/strcmp interceptors call the
// weak hooks below. While recording is on, every comparison whose operands differ is kept with
// its call site, so the fuzz worker can put the expected value where the observed one came
// from in the input (input-to-state patching, see Patches). Recording is off for ordinary
// execs: then each callback costs one load and a branch.

/*
#include <stddef.h>
#include <stdint.h>

uintptr_t seam_cov_site(uintptr_t pc);

#define SEAM_CMP_MAX 4096
#define SEAM_CMP_TOKEN 32
typedef struct {
	uint64_t a, b;
	uintptr_t site;
	uint8_t size;  // bytes of an integer compare; 0 for a token (memcmp-like) compare
	uint8_t tlen;  // token length
	uint8_t konst; // a is a compile-time constant
	uint8_t ta[SEAM_CMP_TOKEN], tb[SEAM_CMP_TOKEN];
} seam_cmp;
static seam_cmp seam_cmps[SEAM_CMP_MAX];
static int seam_cmp_n;
static volatile int seam_cmp_on;

static void seam_cmp_int(uintptr_t pc, uint64_t a, uint64_t b, int size, int konst) {
	if (!seam_cmp_on || a == b || seam_cmp_n >= SEAM_CMP_MAX) return;
	seam_cmp *c = &seam_cmps[seam_cmp_n++];
	c->a = a; c->b = b; c->size = (uint8_t)size; c->tlen = 0; c->konst = (uint8_t)konst;
	c->site = seam_cov_site(pc);
}

// Called from inside ASan's string interceptors: no libc string call here (memcmp would call
// the memcmp hook again, without end), plain loops instead.
static void seam_cmp_token(uintptr_t pc, const char *s1, const char *s2, size_t n) {
	if (!seam_cmp_on || n == 0 || seam_cmp_n >= SEAM_CMP_MAX) return;
	if (n > SEAM_CMP_TOKEN) n = SEAM_CMP_TOKEN;
	seam_cmp *c = &seam_cmps[seam_cmp_n++];
	c->size = 0; c->tlen = (uint8_t)n; c->konst = 0;
	for (size_t i = 0; i < n; i++) {
		c->ta[i] = (uint8_t)s1[i];
		c->tb[i] = (uint8_t)s2[i];
	}
	c->site = seam_cov_site(pc);
}

static size_t seam_cmp_len(const char *s, size_t max) {
	size_t n = 0;
	while (n < max && s[n]) n++;
	return n;
}

#define SEAM_RET ((uintptr_t)__builtin_return_address(0))
#define SEAM_EXPORT __attribute__((visibility("default")))
SEAM_EXPORT void __sanitizer_cov_trace_cmp1(uint8_t a, uint8_t b) { seam_cmp_int(SEAM_RET, a, b, 1, 0); }
SEAM_EXPORT void __sanitizer_cov_trace_cmp2(uint16_t a, uint16_t b) { seam_cmp_int(SEAM_RET, a, b, 2, 0); }
SEAM_EXPORT void __sanitizer_cov_trace_cmp4(uint32_t a, uint32_t b) { seam_cmp_int(SEAM_RET, a, b, 4, 0); }
SEAM_EXPORT void __sanitizer_cov_trace_cmp8(uint64_t a, uint64_t b) { seam_cmp_int(SEAM_RET, a, b, 8, 0); }
SEAM_EXPORT void __sanitizer_cov_trace_const_cmp1(uint8_t a, uint8_t b) { seam_cmp_int(SEAM_RET, a, b, 1, 1); }
SEAM_EXPORT void __sanitizer_cov_trace_const_cmp2(uint16_t a, uint16_t b) { seam_cmp_int(SEAM_RET, a, b, 2, 1); }
SEAM_EXPORT void __sanitizer_cov_trace_const_cmp4(uint32_t a, uint32_t b) { seam_cmp_int(SEAM_RET, a, b, 4, 1); }
SEAM_EXPORT void __sanitizer_cov_trace_const_cmp8(uint64_t a, uint64_t b) { seam_cmp_int(SEAM_RET, a, b, 8, 1); }
// Floating-point compares carry nothing an input patch can use.
SEAM_EXPORT void __sanitizer_cov_trace_cmpf(float a, float b) { (void)a; (void)b; }
SEAM_EXPORT void __sanitizer_cov_trace_cmpd(double a, double b) { (void)a; (void)b; }
// cases[0] is the number of cases, cases[1] the operand's width in bits, then the case values.
// (void *: gcc's built-in declaration, which -fsanitize=address makes it check.)
SEAM_EXPORT void __sanitizer_cov_trace_switch(uint64_t val, void *casesp) {
	const uint64_t *cases = (const uint64_t *)casesp;
	if (!seam_cmp_on) return;
	uint64_t n = cases[0];
	int size = (int)(cases[1] / 8);
	if (n > 16) n = 16;
	for (uint64_t i = 0; i < n; i++) seam_cmp_int(SEAM_RET, cases[2 + i], val, size ? size : 8, 1);
}
// Called by the ASan runtime's interceptors (when the cov variant links ASan).
SEAM_EXPORT void __sanitizer_weak_hook_memcmp(void *pc, const void *s1, const void *s2, size_t n, int result) {
	if (result != 0) seam_cmp_token((uintptr_t)pc, s1, s2, n);
}
// A string compare records the common length of both strings, at most max bytes.
static void seam_cmp_strings(uintptr_t pc, const char *s1, const char *s2, size_t max) {
	if (!seam_cmp_on) return;
	size_t l1 = seam_cmp_len(s1, max), l2 = seam_cmp_len(s2, max);
	seam_cmp_token(pc, s1, s2, l1 < l2 ? l1 : l2);
}
SEAM_EXPORT void __sanitizer_weak_hook_strncmp(void *pc, const char *s1, const char *s2, size_t n, int result) {
	if (result != 0) seam_cmp_strings((uintptr_t)pc, s1, s2, n);
}
SEAM_EXPORT void __sanitizer_weak_hook_strcmp(void *pc, const char *s1, const char *s2, int result) {
	if (result != 0) seam_cmp_strings((uintptr_t)pc, s1, s2, SEAM_CMP_TOKEN);
}

static void seam_cmp_record(int on) { seam_cmp_on = on; if (on) seam_cmp_n = 0; }
static int seam_cmp_count(void) { return seam_cmp_n; }
static seam_cmp *seam_cmp_at(int i) { return &seam_cmps[i]; }
*/
import "C"

import (
	"encoding/binary"
	"unsafe"
)

// Compare is one native comparison whose operands differed.
type Compare struct {
	Site uint64 // call site, module-relative (the same in every worker)
	// A and B are the operands as they sit in memory: an integer compare's values in
	// little-endian order, Size bytes each; a memcmp-like compare's bytes.
	A, B []byte
	Int  bool
	// Const: A is a constant of the code (const_cmp, switch cases), so only B can have come
	// from the input.
	Const bool
}

// RecordCompares switches comparison recording on (clearing what was recorded) or off.
func RecordCompares(on bool) {
	v := C.int(0)
	if on {
		v = 1
	}
	C.seam_cmp_record(v)
}

// Compares returns what was recorded since recording was switched on.
func Compares() []Compare {
	n := int(C.seam_cmp_count())
	out := make([]Compare, 0, n)
	for i := 0; i < n; i++ {
		c := C.seam_cmp_at(C.int(i))
		if c.size != 0 {
			size := int(c.size)
			a, b := make([]byte, 8), make([]byte, 8)
			binary.LittleEndian.PutUint64(a, uint64(c.a))
			binary.LittleEndian.PutUint64(b, uint64(c.b))
			out = append(out, Compare{Site: uint64(c.site), A: a[:size], B: b[:size], Int: true, Const: c.konst != 0})
			continue
		}
		n := int(c.tlen)
		out = append(out, Compare{
			Site: uint64(c.site),
			A:    C.GoBytes(unsafe.Pointer(&c.ta[0]), C.int(n)),
			B:    C.GoBytes(unsafe.Pointer(&c.tb[0]), C.int(n)),
		})
	}
	return out
}
