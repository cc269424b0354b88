/* Test library for package ffi, built by the tests with gcc -shared -fPIC (and once more with
 * -fsanitize=address for the ASan test). Every function returns a checksum of all its
 * arguments, weighted by position, so an argument in the wrong register or stack slot, or a
 * lost one, changes the result. */
#include <stdarg.h>
#include <stdint.h>
#include <stddef.h>
#include <string.h>

#define W(i) ((uint64_t)0x9E3779B97F4A7C15ull * (uint64_t)(i) + 1)
#define S(i, x) ((uint64_t)(x) * W(i))

uint64_t seam_t_sum0(void) { return 0xC0FFEE; }
uint64_t seam_t_sum1(uintptr_t a) { return S(1, a); }
uint64_t seam_t_sum2(uintptr_t a, uintptr_t b) { return S(1, a) + S(2, b); }
uint64_t seam_t_sum3(uintptr_t a, uintptr_t b, uintptr_t c) { return S(1, a) + S(2, b) + S(3, c); }
uint64_t seam_t_sum4(uintptr_t a, uintptr_t b, uintptr_t c, uintptr_t d) {
	return S(1, a) + S(2, b) + S(3, c) + S(4, d);
}
uint64_t seam_t_sum5(uintptr_t a, uintptr_t b, uintptr_t c, uintptr_t d, uintptr_t e) {
	return S(1, a) + S(2, b) + S(3, c) + S(4, d) + S(5, e);
}
uint64_t seam_t_sum6(uintptr_t a, uintptr_t b, uintptr_t c, uintptr_t d, uintptr_t e, uintptr_t f) {
	return S(1, a) + S(2, b) + S(3, c) + S(4, d) + S(5, e) + S(6, f);
}
// From 7 on, arguments go on the stack.
uint64_t seam_t_sum7(uintptr_t a, uintptr_t b, uintptr_t c, uintptr_t d, uintptr_t e, uintptr_t f,
                     uintptr_t g) {
	return S(1, a) + S(2, b) + S(3, c) + S(4, d) + S(5, e) + S(6, f) + S(7, g);
}
uint64_t seam_t_sum8(uintptr_t a, uintptr_t b, uintptr_t c, uintptr_t d, uintptr_t e, uintptr_t f,
                     uintptr_t g, uintptr_t h) {
	return S(1, a) + S(2, b) + S(3, c) + S(4, d) + S(5, e) + S(6, f) + S(7, g) + S(8, h);
}
uint64_t seam_t_sum9(uintptr_t a, uintptr_t b, uintptr_t c, uintptr_t d, uintptr_t e, uintptr_t f,
                     uintptr_t g, uintptr_t h, uintptr_t i) {
	return S(1, a) + S(2, b) + S(3, c) + S(4, d) + S(5, e) + S(6, f) + S(7, g) + S(8, h) + S(9, i);
}
uint64_t seam_t_sum10(uintptr_t a, uintptr_t b, uintptr_t c, uintptr_t d, uintptr_t e, uintptr_t f,
                      uintptr_t g, uintptr_t h, uintptr_t i, uintptr_t j) {
	return S(1, a) + S(2, b) + S(3, c) + S(4, d) + S(5, e) + S(6, f) + S(7, g) + S(8, h) + S(9, i) +
	       S(10, j);
}

// Narrow parameters: each is read with its own C type, then weighted.
int64_t seam_t_narrow(int8_t a, uint8_t b, int16_t c, uint16_t d, int32_t e, uint32_t f, int64_t g,
                      size_t h) {
	return (int64_t)a * 1 + (int64_t)b * 3 + (int64_t)c * 5 + (int64_t)d * 7 + (int64_t)e * 11 +
	       (int64_t)f * 13 + g * 17 + (int64_t)h * 19;
}

// Narrow returns of ordinary code.
int8_t seam_t_ret_i8(int64_t x) { return (int8_t)x; }
uint8_t seam_t_ret_u8(int64_t x) { return (uint8_t)x; }
int16_t seam_t_ret_i16(int64_t x) { return (int16_t)x; }
uint16_t seam_t_ret_u16(int64_t x) { return (uint16_t)x; }
int32_t seam_t_ret_i32(int64_t x) { return (int32_t)x; }
uint32_t seam_t_ret_u32(int64_t x) { return (uint32_t)x; }
int64_t seam_t_ret_i64(int64_t x) { return x; }

// seam_t_dirty returns with every bit of rax set to a known pattern, so it stands for any
// narrow return whose upper register bits are garbage (the ABI leaves them undefined):
// declared as int8_t it returns -127, as uint16_t 0x8081, as int32_t (int32_t)0xCAFE8081.
__asm__(".text\n"
        ".globl seam_t_dirty\n"
        ".type seam_t_dirty, @function\n"
        "seam_t_dirty:\n"
        "\tmovabsq $0xDEADBEEFCAFE8081, %rax\n"
        "\tret\n"
        ".size seam_t_dirty, .-seam_t_dirty\n");

// Pointers and void.
void *seam_t_ptr_add(void *p, size_t n) { return (char *)p + n; }
size_t seam_t_strlen(const char *s) { return strlen(s); }
void seam_t_store(uint64_t *p, uint64_t v) { *p = v; }

// Floating point (through libffi).
double seam_t_fmix(double a, int32_t b, float c, double d, uint8_t e) {
	return a + b * 2.0 + c * 4.0 + d * 8.0 + e * 16.0;
}
float seam_t_fmul(float a, float b) { return a * b; }
// Ten doubles: eight in xmm registers, two on the stack.
double seam_t_f10(double a, double b, double c, double d, double e, double f, double g, double h,
                  double i, double j) {
	return a + 2 * b + 3 * c + 4 * d + 5 * e + 6 * f + 7 * g + 8 * h + 9 * i + 10 * j;
}
int32_t seam_t_ftoi(double x) { return (int32_t)x; }

// Variadic: n int64 values, weighted; n doubles, weighted.
int64_t seam_t_vsum(int32_t n, ...) {
	va_list ap;
	va_start(ap, n);
	int64_t s = 0;
	for (int32_t i = 0; i < n; i++) s += va_arg(ap, int64_t) * (i + 1);
	va_end(ap);
	return s;
}
double seam_t_vdsum(int32_t n, ...) {
	va_list ap;
	va_start(ap, n);
	double s = 0;
	for (int32_t i = 0; i < n; i++) s += va_arg(ap, double) * (i + 1);
	va_end(ap);
	return s;
}

// Out buffers: fill n bytes at p; store one byte at p[off] with a volatile store (no memset
// interceptor, as uninstrumented engine code writes).
void seam_t_fill(uint8_t *p, size_t n, uint8_t v) { memset(p, v, n); }
void seam_t_poke(uint8_t *p, intptr_t off, uint8_t v) { ((volatile uint8_t *)p)[off] = v; }
uint8_t seam_t_peek(const uint8_t *p, intptr_t off) { return ((const volatile uint8_t *)p)[off]; }

// Structs by value (through libffi), one per x86-64 classification: two INTEGER eightbytes,
// one SSE eightbyte, INTEGER with a 4-byte tail, and MEMORY (more than 16 bytes).
typedef struct { uintptr_t ptr; size_t len; } seam_t_slice;
typedef struct { float x, y; } seam_t_vec2;
typedef struct { int32_t a, b, c; } seam_t_tri;
typedef struct { int32_t a; double b; uint8_t c; } seam_t_mixed;

uint64_t seam_t_slice_sum(seam_t_slice s, uint8_t k) { return S(1, s.ptr) + S(2, s.len) + S(3, k); }
seam_t_slice seam_t_slice_make(uintptr_t p, size_t n) { return (seam_t_slice){p, n}; }
seam_t_vec2 seam_t_vec_scale(seam_t_vec2 v, float k) { return (seam_t_vec2){v.x * k, v.y * k}; }
seam_t_tri seam_t_tri_make(int32_t a, int32_t b, int32_t c) { return (seam_t_tri){a, b * 2, c * 3}; }
double seam_t_mixed_sum(int32_t k, seam_t_mixed m) { return m.a + m.b * 2 + m.c * 4 + k * 8.0; }
seam_t_mixed seam_t_mixed_make(int32_t a, double b, uint8_t c) { return (seam_t_mixed){a, b, c}; }
