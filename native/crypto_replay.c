// The replay window of encrypted tunnels: a ring of VXS_REPLAY_BITS bits behind the highest
// counter accepted (the scheme of RFC 6479, as WireGuard keeps it).
#include <string.h>

#include "crypto.h"

bool vxs_replay_check(const struct vxs_replay *r, uint64_t counter) {
  if (counter == UINT64_MAX) return false;  // top would wrap
  if (counter + 1 > r->top) return true;    // newer than anything seen
  if (r->top - 1 - counter >= VXS_REPLAY_WINDOW) return false;
  uint64_t bit = counter % VXS_REPLAY_BITS;
  return (r->bits[bit / 64] & (1ull << (bit % 64))) == 0;
}

void vxs_replay_update(struct vxs_replay *r, uint64_t counter) {
  if (counter + 1 > r->top) {
    // Clear the words the window moves over (all of them after a jump of a whole window).
    uint64_t from = r->top == 0 ? 0 : (r->top - 1) / 64 + 1, to = counter / 64;
    if (r->top == 0 || to - from + 1 >= VXS_REPLAY_WORDS) {
      memset(r->bits, 0, sizeof r->bits);
    } else {
      for (uint64_t w = from; w <= to; w++) r->bits[w % VXS_REPLAY_WORDS] = 0;
    }
    r->top = counter + 1;
  }
  uint64_t bit = counter % VXS_REPLAY_BITS;
  r->bits[bit / 64] |= 1ull << (bit % 64);
}
