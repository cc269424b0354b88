/* Built with -g, but sees only a forward declaration of struct pair: its DWARF says
 * nothing of the layout, which caller.c's unit defines. */
#include <stdint.h>
struct pair;
int32_t caller(const struct pair *p);
int32_t fwd(const struct pair *p) { return caller(p); }
