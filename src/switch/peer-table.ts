// Remote tunnel endpoints by 16-byte address: a lookup from a received source address without allocation.
import { addressHash, sameAddress } from "../io/address.js";

export interface Peer {
  /** Endpoint id in the switch's id space. */
  readonly id: number;
  readonly address: string;
  /** 16 bytes, IPv4-mapped for IPv4. */
  readonly addr16: Uint8Array;
  /** Destination UDP port (VXLAN) or 0 (GRE). */
  readonly port: number;
  /** Learned from traffic (multicast group mode) rather than configured. */
  readonly dynamic: boolean;
  rxFrames: number;
  txFrames: number;
  /** Inner frame bytes received from and sent to this peer. */
  rxBytes: number;
  txBytes: number;
  /** Messages to this peer the kernel refused (EHOSTUNREACH, ENETUNREACH, EMSGSIZE, ...): counted here, never retried. */
  txErrors: number;
  lastSeenMs: number;
}

/** A peer record with its counters at zero. */
export function newPeer(p: Pick<Peer, "id" | "address" | "addr16" | "port" | "dynamic">): Peer {
  return { ...p, rxFrames: 0, txFrames: 0, rxBytes: 0, txBytes: 0, txErrors: 0, lastSeenMs: 0 };
}

export class PeerTable {
  private readonly byKey = new Map<number, Peer[]>();
  private readonly byId = new Map<number, Peer>();

  add(peer: Peer): void {
    const key = addressHash(peer.addr16, 0);
    const list = this.byKey.get(key);
    if (list) list.push(peer);
    else this.byKey.set(key, [peer]);
    this.byId.set(peer.id, peer);
  }

  remove(id: number): void {
    const peer = this.byId.get(id);
    if (!peer) return;
    this.byId.delete(id);
    const key = addressHash(peer.addr16, 0);
    const list = this.byKey.get(key)?.filter((p) => p.id !== id) ?? [];
    if (list.length > 0) this.byKey.set(key, list);
    else this.byKey.delete(key);
  }

  /** The peer whose address is bytes[off .. off+16), or undefined. */
  lookup(bytes: Uint8Array, off: number): Peer | undefined {
    const list = this.byKey.get(addressHash(bytes, off));
    if (list === undefined) return undefined;
    for (let i = 0; i < list.length; i++) if (sameAddress(list[i]!.addr16, 0, bytes, off)) return list[i];
    return undefined;
  }

  get(id: number): Peer | undefined {
    return this.byId.get(id);
  }

  all(): Peer[] {
    return [...this.byId.values()];
  }

  get size(): number {
    return this.byId.size;
  }
}
