/* Built without -g: the definition of def leaves no DWARF of its own. */
#include <stdint.h>
struct pair { uint32_t a; uint64_t b; };
int32_t def(const struct pair *p) { return (int32_t)p->a; }
