// Segments: VNI <-> local ports (with their VLAN in trunk mode) <-> peers, and the flood lists derived from them.
import type { Endpoints } from "./endpoints.js";
import { MAX_VLAN, checkVlan, checkVni } from "./vni.js";

/** Default overlay MTU: VXLAN over IPv4 on a 1500-byte underlay (1500 - 50). */
export const DEFAULT_SEGMENT_MTU = 1450;

export interface SegmentOptions {
  name?: string;
  mtu?: number;
  /** GRE key carried by this segment's frames; absent = GRE without a key. */
  greKey?: number;
  /** This segment's own peers. Absent: the segment uses the mesh (every peer of addMeshPeer). */
  peers?: readonly number[];
}

/** One layer-2 segment. Change it through Segments, which keeps the flood lists in step. */
export interface Segment {
  readonly vni: number;
  readonly name: string | undefined;
  readonly mtu: number;
  readonly greKey: number | undefined;
  /** Local port endpoint ids, in attach order. */
  readonly ports: readonly number[];
  /** Peer endpoint ids this segment reaches: its own list, or the mesh. */
  readonly peers: readonly number[];
  /** True when the segment lists its own peers instead of using the mesh. */
  readonly ownPeers: boolean;
  /** Flood list for a frame from a local port: ports, then peers. Replaced (not mutated) on change. */
  readonly floodAll: Int32Array;
  /** Flood list for a frame from a tunnel (split horizon): local ports only. */
  readonly floodLocal: Int32Array;
}

class SegmentState implements Segment {
  ports: number[] = [];
  peers: number[] = [];
  ownPeerList: number[] | undefined;
  floodAll = new Int32Array(0);
  floodLocal = new Int32Array(0);
  /** VLAN of each attached port in this segment (0 = untagged). */
  readonly vlans = new Map<number, number>();

  constructor(
    readonly vni: number,
    readonly name: string | undefined,
    readonly mtu: number,
    readonly greKey: number | undefined,
  ) {}

  get ownPeers(): boolean {
    return this.ownPeerList !== undefined;
  }
}

export class Segments {
  readonly #endpoints: Endpoints;
  readonly #byVni = new Map<number, SegmentState>();
  /** Peers of every segment that has no list of its own. */
  readonly #mesh: number[] = [];
  /** Per port id: VLAN (index 0..4094) -> VNI, -1 where unmapped. Allocated on first attach. */
  readonly #vlanMaps: (Int32Array | undefined)[] = [];
  readonly #byGreKey = new Map<number, number>();
  /** VNI for GRE frames without a key: the only segment without a key, else -1. */
  #keylessVni = -1;

  constructor(endpoints: Endpoints) {
    this.#endpoints = endpoints;
  }

  /** Creates a segment; throws if the VNI exists. */
  addSegment(vni: number, options: SegmentOptions = {}): Segment {
    const { name, mtu = DEFAULT_SEGMENT_MTU, greKey, peers } = options;
    // A GRE segment may be named by its key, which is 32 bits wide (checked below).
    if (greKey === undefined || greKey !== vni) checkVni(vni);
    if (this.#byVni.has(vni)) throw new Error(`segment VNI ${vni} already exists`);
    if (!Number.isInteger(mtu) || mtu < 68 || mtu > 65_535) throw new RangeError(`invalid MTU ${mtu} for VNI ${vni} (68..65535)`);
    if (greKey !== undefined) {
      if (!Number.isInteger(greKey) || greKey < 0 || greKey > 0xffff_ffff) {
        throw new RangeError(`invalid GRE key ${greKey} for VNI ${vni} (0..4294967295)`);
      }
      const other = this.#byGreKey.get(greKey);
      if (other !== undefined) throw new Error(`GRE key ${greKey} is already used by VNI ${other}`);
    }
    if (peers !== undefined) for (const p of peers) this.#checkPeer(p);
    const seg = new SegmentState(vni, name, mtu, greKey);
    if (peers !== undefined) seg.ownPeerList = [...new Set(peers)];
    if (greKey !== undefined) this.#byGreKey.set(greKey, vni);
    this.#byVni.set(vni, seg);
    this.#rebuild(seg);
    this.#updateKeyless();
    return seg;
  }

  /** Removes a segment and its port mappings (flush its FDB entries too: fdb.flush(vni, undefined, true)). */
  removeSegment(vni: number): boolean {
    const seg = this.#byVni.get(vni);
    if (seg === undefined) return false;
    for (const [port, vlan] of seg.vlans) this.#vlanMaps[port]![vlan] = -1;
    if (seg.greKey !== undefined) this.#byGreKey.delete(seg.greKey);
    this.#byVni.delete(vni);
    this.#updateKeyless();
    return true;
  }

  get(vni: number): Segment | undefined {
    return this.#byVni.get(vni);
  }

  has(vni: number): boolean {
    return this.#byVni.has(vni);
  }

  get size(): number {
    return this.#byVni.size;
  }

  /** Segments in VNI order. */
  all(): Segment[] {
    return [...this.#byVni.values()].sort((a, b) => a.vni - b.vni);
  }

  /**
   * Attaches a local port to a segment. vlan 0 = untagged (access port); 1..4094 = the tag that
   * carries this segment on a trunk port. A port may carry many VLANs, one segment each.
   */
  attachPort(vni: number, portId: number, vlan = 0): void {
    const seg = this.#require(vni);
    checkVlan(vlan);
    if (!this.#endpoints.isPort(portId)) {
      throw new Error(`cannot attach endpoint ${portId} (${this.#describe(portId)}) to VNI ${vni}: it is not a local port`);
    }
    if (seg.vlans.has(portId)) {
      throw new Error(`port ${this.#describe(portId)} is already in VNI ${vni} (VLAN ${seg.vlans.get(portId)})`);
    }
    let map = this.#vlanMaps[portId];
    if (map === undefined) {
      map = new Int32Array(MAX_VLAN + 1).fill(-1);
      this.#vlanMaps[portId] = map;
    }
    if (map[vlan] !== -1) {
      throw new Error(`${vlan === 0 ? "untagged traffic" : `VLAN ${vlan}`} of port ${this.#describe(portId)} already maps to VNI ${map[vlan]}`);
    }
    map[vlan] = vni;
    seg.vlans.set(portId, vlan);
    seg.ports.push(portId);
    this.#rebuild(seg);
  }

  /** Detaches a port from one segment. Returns false if it was not attached there. */
  detachPort(vni: number, portId: number): boolean {
    const seg = this.#byVni.get(vni);
    const vlan = seg?.vlans.get(portId);
    if (seg === undefined || vlan === undefined) return false;
    seg.vlans.delete(portId);
    this.#vlanMaps[portId]![vlan] = -1;
    seg.ports = seg.ports.filter((p) => p !== portId);
    this.#rebuild(seg);
    return true;
  }

  /** Detaches a port from every segment (the TAP is going away). Returns how many it was in. */
  dropPort(portId: number): number {
    let n = 0;
    for (const seg of this.#byVni.values()) if (this.detachPort(seg.vni, portId)) n++;
    return n;
  }

  /**
   * Adds a peer to the mesh: every segment without a list of its own reaches it. Returns false if
   * it was already there.
   */
  addMeshPeer(peerId: number): boolean {
    this.#checkPeer(peerId);
    if (this.#mesh.includes(peerId)) return false;
    this.#mesh.push(peerId);
    for (const seg of this.#byVni.values()) if (seg.ownPeerList === undefined) this.#rebuild(seg);
    return true;
  }

  /**
   * Adds a peer to one segment's own list; from then on that segment no longer follows the mesh.
   * Returns false if it was already there.
   */
  addPeer(vni: number, peerId: number): boolean {
    const seg = this.#require(vni);
    this.#checkPeer(peerId);
    const own = seg.ownPeerList ?? [];
    if (own.includes(peerId)) return false;
    own.push(peerId);
    seg.ownPeerList = own;
    this.#rebuild(seg);
    return true;
  }

  /** Removes a peer from one segment's own list. Returns false if it was not there. */
  removePeer(vni: number, peerId: number): boolean {
    const seg = this.#byVni.get(vni);
    const own = seg?.ownPeerList;
    if (seg === undefined || own === undefined) return false;
    const i = own.indexOf(peerId);
    if (i < 0) return false;
    own.splice(i, 1);
    this.#rebuild(seg);
    return true;
  }

  /** Removes a peer from the mesh and from every segment (the peer is going away). Returns false if it was nowhere. */
  dropPeer(peerId: number): boolean {
    let removed = false;
    const i = this.#mesh.indexOf(peerId);
    if (i >= 0) {
      this.#mesh.splice(i, 1);
      removed = true;
    }
    for (const seg of this.#byVni.values()) {
      if (seg.ownPeerList === undefined) {
        if (i >= 0) this.#rebuild(seg);
      } else if (this.removePeer(seg.vni, peerId)) {
        removed = true;
      }
    }
    return removed;
  }

  /** Peers used by segments without a list of their own. */
  get meshPeers(): readonly number[] {
    return this.#mesh;
  }

  /** The VNI a frame from portId with this VLAN (0 = untagged) belongs to, or -1. */
  vniForPort(portId: number, vlan: number): number {
    const map = this.#vlanMaps[portId];
    if (map === undefined) return -1;
    return map[vlan] ?? -1;
  }

  /** The VLAN tag to put back on a frame of vni sent out of portId (0 = send untagged). */
  vlanForPort(vni: number, portId: number): number {
    return this.#byVni.get(vni)?.vlans.get(portId) ?? 0;
  }

  /**
   * The VNI of a GRE frame with this key; key -1 = a frame without a key, which belongs to the
   * only segment without a GRE key (-1 if there are several: ambiguous).
   */
  vniForGreKey(key: number): number {
    return key >= 0 ? (this.#byGreKey.get(key) ?? -1) : this.#keylessVni;
  }

  #updateKeyless(): void {
    let found = -1;
    for (const seg of this.#byVni.values()) {
      if (seg.greKey !== undefined) continue;
      if (found >= 0) {
        found = -1;
        break;
      }
      found = seg.vni;
    }
    this.#keylessVni = found;
  }

  #rebuild(seg: SegmentState): void {
    seg.peers = [...(seg.ownPeerList ?? this.#mesh)];
    seg.floodLocal = Int32Array.from(seg.ports);
    seg.floodAll = Int32Array.from([...seg.ports, ...seg.peers]);
  }

  #require(vni: number): SegmentState {
    const seg = this.#byVni.get(vni);
    if (seg === undefined) throw new Error(`no segment with VNI ${vni}`);
    return seg;
  }

  #checkPeer(peerId: number): void {
    if (!this.#endpoints.isTunnel(peerId)) {
      throw new Error(`endpoint ${peerId} (${this.#describe(peerId)}) is not a peer`);
    }
  }

  #describe(id: number): string {
    return this.#endpoints.name(id) ?? "unknown";
  }
}
