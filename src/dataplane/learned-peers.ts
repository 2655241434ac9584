// Peers learned from traffic (multicast group mode): admit new sources up to a cap, age idle ones out.
import { formatAddress, isMulticast, isV4Mapped, parseAddress, sameAddress } from "../io/address.js";
import type { Peer } from "../switch/peer-table.js";

export interface LearnedPeersOptions {
  family: 4 | 6;
  /** Our own underlay address: never a peer. */
  local: string;
  /** Most learned peers at once; packets from further new sources are refused (and counted). */
  max: number;
  /** A learned peer not heard from for longer than this is removed; 0 = never. */
  ageingMs: number;
}

/** What learning did: peers admitted, packets refused (cap, own or odd address), peers aged out. */
export interface LearnedPeerCounters {
  learned: number;
  refused: number;
  aged: number;
}

/**
 * The bookkeeping of dynamic peers. The switch supplies how a peer is added (endpoint, peer
 * table) and removed (FDB entries first, then segments, peer table, endpoint); this class decides
 * when. Being heard from is read off peer.rxFrames at each sweep, so the hot path only counts.
 */
export class LearnedPeers {
  readonly counters: LearnedPeerCounters = { learned: 0, refused: 0, aged: 0 };
  private readonly local16: Uint8Array;
  /** rxFrames of each learned peer at the last sweep, by peer id. */
  private readonly rxAtSweep = new Map<number, number>();

  constructor(
    private readonly opts: LearnedPeersOptions,
    private readonly add: (address: string) => Peer,
    private readonly remove: (peer: Peer) => void,
    private readonly log: (line: string) => void = () => {},
  ) {
    this.local16 = parseAddress(opts.local);
  }

  /** Learned peers now. */
  get size(): number {
    return this.rxAtSweep.size;
  }

  /** IngressLoop's addDynamicPeer: the source at addrs[off..off+16) becomes a peer, or is refused. */
  readonly learn = (addrs: Uint8Array, off: number): Peer | undefined => {
    if (
      this.rxAtSweep.size >= this.opts.max ||
      sameAddress(addrs, off, this.local16, 0) ||
      isMulticast(addrs, off) ||
      isV4Mapped(addrs, off) !== (this.opts.family === 4)
    ) {
      this.counters.refused++;
      return undefined;
    }
    const peer = this.add(formatAddress(addrs, off));
    peer.lastSeenMs = Date.now();
    // -1: the first sweep always sees a change, so a new peer gets a full ageing period.
    this.rxAtSweep.set(peer.id, -1);
    this.counters.learned++;
    this.log(`peer ${peer.address} learned from traffic`);
    return peer;
  };

  /** Called about once a second: refreshes peers that received since the last call, removes idle ones. */
  sweep(peers: Iterable<Peer>, now: number): void {
    if (this.rxAtSweep.size === 0) return;
    const doomed: Peer[] = [];
    for (const peer of peers) {
      const before = this.rxAtSweep.get(peer.id);
      if (before === undefined || !peer.dynamic) continue;
      if (before !== peer.rxFrames) {
        this.rxAtSweep.set(peer.id, peer.rxFrames);
        peer.lastSeenMs = now;
      } else if (this.opts.ageingMs > 0 && now - peer.lastSeenMs > this.opts.ageingMs) {
        doomed.push(peer);
      }
    }
    for (const peer of doomed) {
      this.rxAtSweep.delete(peer.id);
      this.remove(peer);
      this.counters.aged++;
      this.log(`peer ${peer.address} aged out (not heard from for ${Math.round((now - peer.lastSeenMs) / 1000)} s)`);
    }
  }
}
