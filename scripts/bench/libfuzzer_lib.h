// Shared by the C-only libFuzzer baselines: dlopen the engine as seam does (SEAM_LIB, default
// build/fuzzer/libseam_cpp.so) and resolve contract symbols, exiting 2 with one line on failure.
#ifndef SEAM_BENCH_LIBFUZZER_LIB_H
#define SEAM_BENCH_LIBFUZZER_LIB_H
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

static void *bench_open(const char *who) {
  const char *lib = getenv("SEAM_LIB");
  if (!lib) lib = "build/fuzzer/libseam_cpp.so";
  void *h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
  if (!h) { fprintf(stderr, "%s: %s\n", who, dlerror()); exit(2); }
  return h;
}

static void *bench_sym(void *h, const char *who, const char *name) {
  void *p = dlsym(h, name);
  if (!p) { fprintf(stderr, "%s: missing symbol %s\n", who, name); exit(2); }
  return p;
}
#endif
