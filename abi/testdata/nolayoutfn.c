/* An engine with no layout function: only its DWARF can show how it lays out its structs.
 * The "header" the test holds it to declares
 *
 *   struct order { uint64_t id; uint32_t qty; uint32_t flags; struct money price; };
 *
 * but this engine was built against an older header with qty and id swapped, which moves
 * id to offset 8 and pads qty: the skew the DWARF check must name. The other functions
 * exercise what the reader has to follow: pointers to pointers, a struct returned by
 * pointer, arrays, unions, bit fields and a struct it only declares. */
#include <stdint.h>

struct money {
  int64_t cents;
  char currency[3];
};

typedef struct order {
  uint32_t qty;
  uint64_t id;
  uint32_t flags;
  struct money price;
} order;

struct opaque;

union word {
  uint32_t u;
  float f;
};

struct packed_bits {
  uint8_t tag;
  unsigned kind : 3;
  unsigned level : 5;
  uint16_t rest;
  struct money hist[2];
  union word w;
};

int32_t order_submit(const order *o) { return o ? (int32_t)o->qty : -1; }

int32_t order_new(order **out) {
  static order one;
  *out = &one;
  return 0;
}

static struct packed_bits the_bits;

const struct packed_bits *bits_get(volatile struct opaque *handle, const struct money (*table)[4]) {
  (void)handle;
  (void)table;
  return &the_bits;
}

/* Variadic: DWARF ends the parameter list with DW_TAG_unspecified_parameters. */
int32_t order_log(const order *o, const char *fmt, ...) { return o && fmt ? 0 : -1; }

/* Not exported: hidden visibility keeps it out of the dynamic symbol table, so it is no
 * part of the boundary however external DWARF calls it. */
__attribute__((visibility("hidden"))) int32_t order_internal(order *o) { return o ? 1 : 0; }
