/* A different struct under the same name in another unit: a forward declaration elsewhere
 * can no longer be completed by name. */
#include <stdint.h>
struct pair { uint32_t only; };
uint32_t other(const struct pair *p) { return p->only; }
