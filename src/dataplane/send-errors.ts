// Send failures of a tunnel batch attributed to the peers they were for (read from tx.status).
import { TX_FAILED, type TxBatch } from "../io/batch.js";
import type { PeerTable } from "../switch/peer-table.js";

/**
 * Adds each refused message of the last send to its destination's txErrors. Runs only when a
 * send came up short, so a clean batch costs nothing; one refused peer (unreachable, no route)
 * never holds up the others, whose messages in the same batch were sent regardless.
 */
export function countPeerSendErrors(tx: TxBatch, peers: PeerTable): void {
  const status = tx.status;
  for (let i = 0; i < tx.count; i++) {
    if (status[i] !== TX_FAILED) continue;
    const peer = peers.lookup(tx.dstAddrs, i * 16);
    if (peer !== undefined) peer.txErrors++;
  }
}
