// C++ shapes of an exported function's DWARF that keep the return type away from the
// function's own DIE: a static member defined outside its class (DW_AT_specification) and,
// at -O2, functions inlined into a caller as well as emitted out of line
// (DW_AT_abstract_origin).
#include <cstdint>
struct big { uint32_t a; uint64_t b; };
struct api {
  static const big *get(big **out);
};
const big *api::get(big **out) { static big one; *out = &one; return &one; }
static inline const big *pick(const big *p) { return p; }
extern "C" const big *pick_c(const big *p) { return pick(p); }
extern "C" const big *hot(const big *p);
const big *hot(const big *p) { return p + 1; }
extern "C" const big *use_hot(const big *p) { return hot(p) + 2; }
