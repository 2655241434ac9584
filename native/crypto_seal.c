// Sealing and opening one packet of an encrypted tunnel in place (docs/ENCRYPTION.md, "Packet").
#include <openssl/evp.h>
#include <string.h>

#include "crypto.h"
#include "csum.h"

static void put64(uint8_t *p, uint64_t v) {
  vxs_put32(p, (uint32_t)(v >> 32));
  vxs_put32(p + 4, (uint32_t)v);
}

static uint64_t get64(const uint8_t *p) { return ((uint64_t)vxs_get32(p) << 32) | vxs_get32(p + 4); }

bool vxs_seal(struct vxs_crypto *c, struct vxs_crypto_peer *peer, uint8_t *p, uint32_t hl, uint32_t total,
              uint64_t now_ns) {
  if (total < hl + VXS_CRYPTO_OVERHEAD) return false;
  // Rotate before the counter or the time runs out; the receiver follows the epoch.
  if (!peer->tx_valid || peer->tx_counter - peer->tx_start >= c->rotate_packets ||
      now_ns - peer->tx_born_ns >= c->rotate_ns) {
    if (!vxs_tx_rekey(c, peer, now_ns)) return false;
  }
  uint8_t *nonce = p + hl;
  uint32_t len = total - hl - VXS_CRYPTO_OVERHEAD;
  uint8_t *text = nonce + VXS_CRYPTO_HDR;
  int n;
  vxs_put32(nonce, peer->tx_epoch);
  put64(nonce + 4, peer->tx_counter++);
  EVP_CIPHER_CTX *ctx = peer->tx_ctx;
  return EVP_EncryptInit_ex(ctx, NULL, NULL, NULL, nonce) == 1 &&
         EVP_EncryptUpdate(ctx, NULL, &n, p, (int)(hl + VXS_CRYPTO_HDR)) == 1 &&
         EVP_EncryptUpdate(ctx, text, &n, text, (int)len) == 1 && EVP_EncryptFinal_ex(ctx, text + len, &n) == 1 &&
         EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, VXS_CRYPTO_TAG, text + len) == 1;
}

// The receive key for epoch, or NULL (*cand: it is the candidate, promoted once a packet verifies).
static struct vxs_rx_key *rx_key(struct vxs_crypto *c, struct vxs_crypto_peer *peer, uint32_t epoch, uint64_t now_ns,
                                 bool *cand) {
  struct vxs_rx_key *cur = &peer->rx[peer->cur], *prev = &peer->rx[peer->prev], *next = &peer->rx[peer->cand];
  *cand = false;
  if (cur->valid && epoch == cur->epoch) return cur;
  if (prev->valid && epoch == prev->epoch) return prev;
  if (cur->valid && epoch < cur->epoch) return NULL;
  *cand = true;
  if (next->valid && next->epoch == epoch) return next;
  return vxs_rx_derive(c, peer, epoch, now_ns) ? next : NULL;
}

enum vxs_open_result vxs_open(struct vxs_crypto *c, struct vxs_crypto_peer *peer, uint8_t *p, uint32_t hl,
                              uint32_t len, uint64_t now_ns) {
  if (len < hl + VXS_CRYPTO_OVERHEAD) return VXS_OPEN_TRUNCATED;
  const uint8_t *nonce = p + hl;
  uint32_t epoch = vxs_get32(nonce);
  uint64_t counter = get64(nonce + 4);
  bool cand;
  struct vxs_rx_key *k = rx_key(c, peer, epoch, now_ns, &cand);
  if (k == NULL) return VXS_OPEN_STALE_KEY;
  if (!vxs_replay_check(&k->replay, counter)) return VXS_OPEN_REPLAY;
  uint32_t tlen = len - hl - VXS_CRYPTO_OVERHEAD;
  uint8_t *text = p + hl + VXS_CRYPTO_HDR;
  int n;
  EVP_CIPHER_CTX *ctx = k->ctx;
  bool ok = EVP_DecryptInit_ex(ctx, NULL, NULL, NULL, nonce) == 1 &&
            EVP_DecryptUpdate(ctx, NULL, &n, p, (int)(hl + VXS_CRYPTO_HDR)) == 1 &&
            EVP_DecryptUpdate(ctx, text, &n, text, (int)tlen) == 1 &&
            EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, VXS_CRYPTO_TAG, text + tlen) == 1 &&
            EVP_DecryptFinal_ex(ctx, text + tlen, &n) == 1;
  if (!ok) return VXS_OPEN_AUTH;
  vxs_replay_update(&k->replay, counter);
  if (cand) {
    // A newer epoch verified: it becomes current, the current one previous (late packets of the
    // old epoch still open), the oldest slot the next candidate.
    uint8_t old = peer->prev;
    peer->prev = peer->cur;
    peer->cur = peer->cand;
    peer->cand = old;
    peer->rx[old].valid = false;
    c->rx_rotations++;
  }
  return VXS_OPENED;
}
