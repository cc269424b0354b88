/* Built with -g: its DWARF declares def, the function it calls, with the parameter types
 * this unit sees. */
#include <stdint.h>
struct pair { uint32_t a; uint64_t b; };
int32_t def(const struct pair *p);
int32_t caller(const struct pair *p) { return def(p) + 1; }
