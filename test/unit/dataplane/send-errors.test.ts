import { describe, expect, it } from "vitest";
import { parseAddress } from "../../../src/io/address.js";
import { TX_FAILED, TX_SENT, TX_UNSENT, TxBatch } from "../../../src/io/batch.js";
import { newPeer, PeerTable, type Peer } from "../../../src/switch/peer-table.js";
import { countPeerSendErrors } from "../../../src/dataplane/send-errors.js";

function peer(id: number, address: string): Peer {
  return newPeer({ id, address, addr16: parseAddress(address), port: 4789, dynamic: false });
}

describe("countPeerSendErrors", () => {
  it("charges each refused message to its destination peer and nothing to peers whose messages went out or were merely not sent", () => {
    const peers = new PeerTable();
    const up = peer(1, "198.18.0.2");
    const down = peer(2, "198.18.0.3");
    const busy = peer(3, "2001:2::3");
    for (const p of [up, down, busy]) peers.add(p);
    const tx = new TxBatch(6, Buffer.alloc(64));
    for (const p of [up, down, up, down, busy, down]) tx.push(0, 10, p.addr16, 4789);
    tx.status.set([TX_SENT, TX_FAILED, TX_SENT, TX_FAILED, TX_UNSENT, TX_FAILED]);
    countPeerSendErrors(tx, peers);
    expect([up.txErrors, down.txErrors, busy.txErrors]).toEqual([0, 3, 0]);
  });

  it("ignores a refused message to an address that is no longer a peer", () => {
    const peers = new PeerTable();
    const tx = new TxBatch(1, Buffer.alloc(16));
    tx.push(0, 10, parseAddress("198.18.0.9"), 4789);
    tx.status[0] = TX_FAILED;
    expect(() => countPeerSendErrors(tx, peers)).not.toThrow();
  });
});
