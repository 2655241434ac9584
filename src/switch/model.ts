// The one model of the switch: TAPs, segments, ports, peers and static FDB entries, with add/remove
// operations. Every change compiles new tables (src/switch/tables.ts) and swaps them in whole.
import { isIP } from "node:net";
import { parseAddress, sameAddress } from "../io/address.js";
import { DEFAULT_OVERLAY_MTU } from "../wire/overhead.js";
import { Endpoints } from "./endpoints.js";
import type { Fdb } from "./fdb.js";
import { FloodLimiter, type FloodRateLimit } from "./flood-limit.js";
import { newPeer, PeerTable, type Peer } from "./peer-table.js";
import { SegmentTraffic } from "./segment-traffic.js";
import type { SwitchTables, TableRef } from "./tables.js";
import { compileTables, type PortRecord, type SegmentRecord, type TapRecord } from "./compile.js";
import { checkSegmentId, checkVlan, checkVni } from "./vni.js";
import { portName } from "./port-name.js";

export interface ModelOptions {
  /** Underlay family: peer addresses must be of it. */
  family: 4 | 6;
  /** This switch's own underlay address: never a peer. */
  local: string;
  /** Destination UDP port of peers (VXLAN), 0 for GRE. */
  peerPort: number;
  /** Called after a peer is added / before it is removed (keys per peer, for example). */
  onPeerAdded?: (peer: Peer) => void;
  onPeerRemoved?: (peer: Peer) => void;
  log?: (line: string) => void;
  /** The clock of the flood limiters (tests give a fake one). */
  now?: () => number;
}

export interface SegmentSpec {
  /** VNI (24 bits) or, for GRE, the key (32 bits; 0 for the keyless segment). */
  id: number;
  mtu?: number;
  /** GRE: the id goes out as the key. Lets an id above 24 bits through (a GRE key). */
  greKeyed?: boolean;
  floodRateLimit?: FloodRateLimit;
}

/** A peer as `status` lists it. */
export interface PeerInfo {
  peer: Peer;
  /** Made by a static FDB entry (`fdb add --dst`): never flooded to. */
  unicastOnly: boolean;
}

export class SwitchModel {
  readonly endpoints: Endpoints;
  readonly tables: TableRef;
  readonly #fdb: Fdb;
  readonly #opts: ModelOptions;
  readonly #local16: Uint8Array;
  readonly #taps: TapRecord[] = [];
  readonly #segments = new Map<number, SegmentRecord>();
  readonly #ports = new Map<number, PortRecord>();
  /** Peers by id and by address (the loops get a copy in each compile). */
  readonly #peers = new PeerTable();
  /** Flood peers of every segment without a list of its own, in the order they were added. */
  readonly #mesh: number[] = [];
  /** Group mode: the multicast group, every segment's first flood target (nothing comes from it). */
  #group: Peer | undefined;
  /**
   * Peers that exist only as the destination of static FDB entries (`fdb add MAC --dst NEW`):
   * unicast only, removed with the last entry naming them. Values: the entries, as "segment/mac".
   */
  readonly #unicastOnly = new Map<number, Set<string>>();
  #generation = 0;
  /** Changes inside batch() compile once, at its end. */
  #deferred = 0;

  constructor(fdb: Fdb, opts: ModelOptions, endpoints = new Endpoints()) {
    this.#fdb = fdb;
    this.#opts = opts;
    this.endpoints = endpoints;
    this.#local16 = parseAddress(opts.local);
    this.tables = { current: this.#compileNow() };
  }

  /**
   * Several changes, one new set of tables, published when fn returns (or throws: what was
   * done before the throw is published then). The loops never see a part of the batch.
   */
  batch<T>(change: () => T): T {
    this.#deferred++;
    try {
      return change();
    } finally {
      if (--this.#deferred === 0) this.#publish();
    }
  }

  // --- TAPs, segments, ports -----------------------------------------------------------------

  /** A TAP by name; trunk: it carries one segment per 802.1Q VLAN. Returns its index. */
  addTap(name: string, trunk: boolean): number {
    if (this.#taps.some((t) => t.name === name)) throw new Error(`TAP ${name} is already part of the switch`);
    const index = this.#taps.length;
    this.#taps.push({ index, name, trunk });
    this.#publish();
    return index;
  }

  addSegment(spec: SegmentSpec): void {
    const { id, mtu = DEFAULT_OVERLAY_MTU, greKeyed = false } = spec;
    if (greKeyed) checkSegmentId(id);
    else checkVni(id);
    if (this.#segments.has(id)) throw new Error(`segment ${id} already exists`);
    if (!Number.isInteger(mtu) || mtu < 68 || mtu > 65_535) throw new RangeError(`invalid MTU ${mtu} for segment ${id} (68..65535)`);
    const floodLimit = spec.floodRateLimit === undefined ? undefined : new FloodLimiter(spec.floodRateLimit, this.#opts.now);
    this.#segments.set(id, { id, mtu, greKeyed, ports: [], ownPeers: undefined, traffic: new SegmentTraffic(), floodLimit });
    this.#publish();
  }

  /** Removes a segment, its ports and every FDB entry of it. */
  removeSegment(id: number): boolean {
    const seg = this.#segments.get(id);
    if (seg === undefined) return false;
    this.batch(() => {
      for (const port of [...seg.ports]) this.removePort(port);
      this.#fdb.flush(id, undefined, true);
      this.#segments.delete(id);
      // Unicast-only peers whose last entry went with the segment go too.
      for (const [peerId, keys] of [...this.#unicastOnly]) {
        for (const key of [...keys]) if (key.startsWith(`${id}/`)) this.#releaseUnicastOnly(peerId, key);
      }
    });
    return true;
  }

  /**
   * A local port: the TAP's untagged frames (vlan 0, an access TAP) or one VLAN of a trunk TAP,
   * in a segment. Returns its endpoint id. The TAP's own MAC is a static entry on it.
   */
  addPort(tap: number, segmentId: number, vlan = 0, tapMac?: number): number {
    const t = this.#taps[tap];
    if (t === undefined) throw new Error(`no TAP with index ${tap}`);
    const seg = this.#requireSegment(segmentId);
    checkVlan(vlan);
    if (t.trunk === (vlan === 0)) throw new Error(t.trunk ? `trunk TAP ${t.name} carries VLANs 1..4094, not untagged frames` : `TAP ${t.name} is an access port: VLAN ${vlan} needs a trunk TAP`);
    for (const p of this.#ports.values()) {
      if (p.tap === tap && p.vlan === vlan) throw new Error(`${vlan === 0 ? `TAP ${t.name}` : `VLAN ${vlan} of ${t.name}`} is already in segment ${p.segment}`);
      // Two VLANs of one trunk in one segment would bridge the two VLANs together.
      if (p.tap === tap && p.segment === segmentId) throw new Error(`${t.name} is already in segment ${segmentId} (VLAN ${p.vlan}); one VLAN per segment`);
    }
    const name = portName(t.name, vlan);
    const id = this.endpoints.addPort(name);
    this.#ports.set(id, { id, name, tap, vlan, segment: segmentId });
    seg.ports.push(id);
    if (tapMac !== undefined) this.#fdb.addStatic(segmentId, tapMac, id);
    this.#publish();
    return id;
  }

  /** Removes a port and the FDB entries behind it (before its id can be reused). */
  removePort(id: number): boolean {
    const port = this.#ports.get(id);
    if (port === undefined) return false;
    this.#fdb.flush(undefined, id, true);
    const seg = this.#segments.get(port.segment);
    if (seg !== undefined) seg.ports = seg.ports.filter((p) => p !== id);
    this.#ports.delete(id);
    this.endpoints.remove(id);
    this.#publish();
    return true;
  }

  hasSegment(id: number): boolean {
    return this.#segments.has(id);
  }

  /** Segment ids in the order they were added. */
  segmentIds(): number[] {
    return [...this.#segments.keys()];
  }

  // --- peers ---------------------------------------------------------------------------------

  /**
   * A peer at address. flood: it gets a copy of every flood of the segments that follow the mesh
   * (configured peers); learned (dynamic) and FDB-only peers are reached by unicast only.
   */
  addPeer(address: string, options: { dynamic?: boolean; flood?: boolean } = {}): Peer {
    const { dynamic = false, flood = !dynamic } = options;
    const addr16 = this.checkPeerAddress(address);
    if (this.peerAt(address) !== undefined) throw new Error(`${address} is already a peer`);
    if (this.#group !== undefined && sameAddress(addr16, 0, this.#group.addr16, 0)) throw new Error(`${address} is the multicast group, not a peer`);
    const id = this.endpoints.addPeer(address);
    const peer = newPeer({ id, address, addr16, port: this.#opts.peerPort, dynamic });
    this.#peers.add(peer);
    if (flood) this.#mesh.push(id);
    this.#opts.onPeerAdded?.(peer);
    this.#publish();
    return peer;
  }

  /** Removes a peer: its FDB entries (static ones too) first, so no entry names the id once it is reused. */
  removePeer(peer: Peer): void {
    if (this.#peers.get(peer.id) !== peer) return;
    this.#fdb.flush(undefined, peer.id, true);
    const i = this.#mesh.indexOf(peer.id);
    if (i >= 0) this.#mesh.splice(i, 1);
    for (const seg of this.#segments.values()) if (seg.ownPeers !== undefined) seg.ownPeers = seg.ownPeers.filter((p) => p !== peer.id);
    this.#peers.remove(peer.id);
    this.#unicastOnly.delete(peer.id);
    this.#opts.onPeerRemoved?.(peer);
    this.endpoints.remove(peer.id);
    this.#publish();
  }

  /** Group mode: floods of every segment go to the multicast group first. */
  setGroup(address: string): Peer {
    if (this.#group !== undefined) throw new Error(`the multicast group is ${this.#group.address} already`);
    const id = this.endpoints.addPeer(address);
    this.#group = newPeer({ id, address, addr16: parseAddress(address), port: this.#opts.peerPort, dynamic: false });
    this.#publish();
    return this.#group;
  }

  get group(): Peer | undefined {
    return this.#group;
  }

  /** The peer at address (configured, learned or FDB-only), or undefined. */
  peerAt(address: string): Peer | undefined {
    return this.#peers.lookup(this.checkPeerAddress(address), 0);
  }

  /** Every peer (not the group), with what status says of it. */
  peers(): PeerInfo[] {
    return this.#peers.all().map((peer) => ({ peer, unicastOnly: this.#unicastOnly.has(peer.id) }));
  }

  get peerCount(): number {
    return this.#peers.size;
  }

  /**
   * `peers add ADDR [--vni N]` at run time: a flood peer of every segment, or of segment vni only
   * (that segment then keeps its own peer list, starting from the mesh it had). An FDB-only peer
   * at that address becomes a flood peer. Returns where it floods, for the answer.
   */
  addFloodPeer(address: string, vni?: number): string {
    if (vni !== undefined && !this.#segments.has(vni)) throw new Error(`no segment ${vni} (segments: ${this.segmentIds().join(", ")})`);
    let peer = this.peerAt(address);
    if (peer?.dynamic === true) throw new Error(`${address} is a peer learned from traffic; it cannot also be configured`);
    const where = vni === undefined ? "every segment" : `segment ${vni}`;
    if (peer !== undefined && !this.#unicastOnly.has(peer.id)) {
      const id = peer.id;
      const everywhere = this.#mesh.includes(id) && [...this.#segments.values()].every((s) => s.ownPeers === undefined || s.ownPeers.includes(id));
      if (vni === undefined ? everywhere : this.#floodPeersOf(this.#segments.get(vni)!).includes(id)) throw new Error(`${address} is already a peer of ${where}`);
    }
    this.batch(() => {
      if (peer === undefined) peer = this.addPeer(address, { flood: false });
      else this.#unicastOnly.delete(peer.id);
      const id = peer.id;
      if (vni === undefined) {
        if (!this.#mesh.includes(id)) this.#mesh.push(id);
        for (const seg of this.#segments.values()) if (seg.ownPeers !== undefined && !seg.ownPeers.includes(id)) seg.ownPeers.push(id);
      } else {
        const seg = this.#segments.get(vni)!;
        // From now on the segment keeps a list of its own, starting from the mesh it followed.
        seg.ownPeers ??= [...this.#mesh];
        if (!seg.ownPeers.includes(id)) seg.ownPeers.push(id);
      }
    });
    this.#log(`peer ${address} added to ${where}`);
    return where;
  }

  /**
   * `peers del ADDR [--vni N]`: without vni the peer goes entirely (with its FDB entries, static
   * ones too); with vni it leaves that segment's flood list and its learned entries there go.
   */
  removeFloodPeer(address: string, vni?: number): { fdbEntriesRemoved: number } {
    const peer = this.peerAt(address);
    if (peer === undefined || peer.dynamic) throw new Error(`${address} is not a configured peer`);
    if (vni === undefined) {
      let entries = 0;
      for (const e of this.#fdb.entries()) if (e.endpoint === peer.id) entries++;
      this.removePeer(peer);
      this.#log(`peer ${address} removed (${entries} FDB entries with it)`);
      return { fdbEntriesRemoved: entries };
    }
    const seg = this.#segments.get(vni);
    if (seg === undefined) throw new Error(`no segment ${vni}`);
    if (!this.#floodPeersOf(seg).includes(peer.id)) throw new Error(`${address} is not a flood peer of segment ${vni}`);
    seg.ownPeers = this.#floodPeersOf(seg).filter((p) => p !== peer.id);
    const removed = this.#fdb.flush(vni, peer.id);
    this.#publish();
    this.#log(`peer ${address} removed from segment ${vni} (${removed} learned FDB entries with it)`);
    return { fdbEntriesRemoved: removed };
  }

  /** The address as a peer address of this switch, or an error a person can act on. */
  checkPeerAddress(address: string): Uint8Array {
    const family = this.#opts.family;
    if (isIP(address) !== family) throw new Error(`${address} is not an IPv${family} address (the underlay is IPv${family})`);
    const addr16 = parseAddress(address);
    if (sameAddress(addr16, 0, this.#local16, 0)) throw new Error(`${address} is this switch's own address`);
    return addr16;
  }

  // --- FDB entries ---------------------------------------------------------------------------

  /**
   * A static FDB entry toward a peer address or a local port. An address that is not a peer yet
   * becomes a unicast-only peer (like `bridge fdb add MAC dev vxlan0 dst ADDR` in the kernel:
   * no flooding to it), removed again with its last entry.
   */
  addStaticEntry(segmentId: number, mac: number, target: { dst?: string; dev?: string }): void {
    const seg = this.#segments.get(segmentId);
    if (seg === undefined) throw new Error(`no segment ${segmentId}`);
    let endpoint: number;
    if (target.dst !== undefined) {
      endpoint = this.#unicastEndpoint(target.dst);
    } else if (target.dev !== undefined) {
      const dev = target.dev;
      const port = seg.ports.map((id) => this.#ports.get(id)!).find((p) => p.name === dev);
      if (port === undefined) throw new Error(`${dev} is not a TAP of segment ${segmentId}`);
      endpoint = port.id;
    } else {
      throw new Error("give --dst ADDR or --dev TAP");
    }
    try {
      this.#fdb.addStatic(segmentId, mac, endpoint);
    } catch (err) {
      this.#releaseUnicastOnly(endpoint);
      throw err;
    }
    // The entry may have pointed at another unicast-only peer before.
    const key = `${segmentId}/${mac}`;
    for (const peerId of [...this.#unicastOnly.keys()]) if (peerId !== endpoint) this.#releaseUnicastOnly(peerId, key);
    this.#unicastOnly.get(endpoint)?.add(key);
  }

  /** Removes one FDB entry; a unicast-only peer goes with its last entry. */
  removeFdbEntry(segmentId: number, mac: number): boolean {
    const removed = this.#fdb.remove(segmentId, mac);
    for (const peerId of [...this.#unicastOnly.keys()]) this.#releaseUnicastOnly(peerId, `${segmentId}/${mac}`);
    return removed;
  }

  // --- inside ----------------------------------------------------------------------------------

  #unicastEndpoint(dst: string): number {
    const known = this.peerAt(dst);
    if (known !== undefined) return known.id;
    const peer = this.addPeer(dst, { flood: false });
    this.#unicastOnly.set(peer.id, new Set());
    this.#log(`peer ${dst} added for static FDB entries (unicast only, not flooded to)`);
    return peer.id;
  }

  /** Forgets key for a unicast-only peer and removes the peer if no entry names it any more. */
  #releaseUnicastOnly(peerId: number, key?: string): void {
    const keys = this.#unicastOnly.get(peerId);
    if (keys === undefined) return;
    if (key !== undefined) keys.delete(key);
    if (keys.size > 0) return;
    const peer = this.#peers.get(peerId);
    this.#unicastOnly.delete(peerId);
    if (peer === undefined) return;
    this.removePeer(peer);
    this.#log(`peer ${peer.address} removed with its last static FDB entry`);
  }

  #floodPeersOf(seg: SegmentRecord): number[] {
    return seg.ownPeers ?? this.#mesh;
  }

  #requireSegment(id: number): SegmentRecord {
    const seg = this.#segments.get(id);
    if (seg === undefined) throw new Error(`no segment ${id}`);
    return seg;
  }

  #log(line: string): void {
    this.#opts.log?.(line);
  }

  #compileNow(): SwitchTables {
    const group = this.#group;
    return compileTables({
      generation: this.#generation++,
      taps: this.#taps,
      segments: this.#segments.values(),
      ports: this.#ports,
      peers: this.#peers.all(),
      floodPeersOf: (seg) => {
        const out: Peer[] = group === undefined ? [] : [group];
        for (const id of this.#floodPeersOf(seg)) {
          const p = this.#peers.get(id);
          if (p !== undefined) out.push(p);
        }
        return out;
      },
    });
  }

  #publish(): void {
    if (this.#deferred > 0) return;
    this.tables.current = this.#compileNow();
  }
}
