//go:build race || asan

package ffi_test

// goSanitized: this test binary is built with -race or -asan.
const goSanitized = true
