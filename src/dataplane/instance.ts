// One running vxswitch: opens TAPs, bridges and tunnel sockets from a Config, wires the loops, tears down.
import { isIP } from "node:net";
import { writeFileSync } from "node:fs";
import type { Config } from "../control/config.js";
import { overlayMtu, segmentEncrypted, segmentPorts } from "../control/config.js";
import { HEADROOM } from "../io/batch.js";
import type { TapDevice } from "../io/tap-device.js";
import type { TunnelSocket } from "../io/tunnel-socket.js";
import { GRO_MAX_DATAGRAM, UdpBatchSocket } from "../io/udp-batch-socket.js";
import { DgramSocket } from "../io/dgram-socket.js";
import { loadNative, native, type NativeIoCounters } from "../io/native.js";
import { parseAddress, sameAddress } from "../io/address.js";
import { Endpoints } from "../switch/endpoints.js";
import { Fdb } from "../switch/fdb.js";
import { Forwarder } from "../switch/forwarder.js";
import { Segments } from "../switch/segments.js";
import { EgressLoop } from "./egress.js";
import { IngressLoop } from "./ingress.js";
import type { Encapsulation } from "./encap.js";
import { VxlanEncap } from "./vxlan-encap.js";
import { GreEncap, greOptionCount, greSegmentsOf } from "./gre-encap.js";
import { GreSocket } from "../io/gre-socket.js";
import { Observers } from "./observers.js";
import type { DebugView } from "../debug/trace-view.js";
import { describeOffloads, TapOffloadProbe, type TapOffloads } from "../io/tap-offloads.js";
import { LearnedPeers, type LearnedPeerCounters } from "./learned-peers.js";
import { groupBindAddress, joinGroup } from "./multicast-group.js";
import { newPeer, PeerTable, type Peer } from "./peer-table.js";
import { FloodLimiter, type FloodRateLimit } from "../switch/flood-limit.js";
import { segmentRuntime, type PortRuntime, type SegmentRuntime, type TapRuntime, type TunnelSockets } from "./runtime.js";
import { DataplaneStats } from "./stats.js";
import type { SegmentTraffic } from "./segment-counters.js";
import { interfaceOfAddress } from "./underlay.js";
import { rawSocketDrops, udpSocketDrops } from "../io/socket-drops.js";
import { TapKeeper, type TapKeeperCounters, type TapState } from "./tap-keeper.js";
import { tapMacFor } from "./tap-mac.js";
import { formatMac, parseMac, readMac } from "../wire/mac.js";
import { CryptoSession, CRYPTO_TAG_LEN } from "./crypto-session.js";
import { SealedEncap } from "./crypto-encap.js";
import { readKeyFile } from "./crypto-key.js";
import { BusyPoll, MAX_BUSY_POLL_SOURCES, type BusyPollCounters, type BusyPollSource } from "./busy-poll.js";
import type { MembershipReport, MembershipStatus, PeerMembership } from "./membership-report.js";

/** How many sockets send, so the outer source port follows the inner flow (ECMP/RSS spreading). */
const SOURCE_PORT_SOCKETS = 8;
const SOCKET_BUFFER_BYTES = 8 << 20;
const IPPROTO_GRE = 47;

export interface PlannedSegment {
  id: number;
  tap: string;
  /** 802.1Q VLAN of this segment on a trunk TAP; 0 on an access TAP. */
  vlan: number;
  bridge?: string;
  createBridge: boolean;
  address?: string;
  mtu: number;
  /** The TAP's link MTU: the overlay MTU, or larger (tapMtu) so the bridge hands over full-size frames to answer. */
  tapMtu: number;
  /** Configured TAP MAC; undefined: derived (stable per host, local address and TAP name). */
  mac?: string;
  mtuSource: string;
  /** The largest overlay MTU the underlay carries unfragmented: underlay MTU minus the encapsulation. */
  mtuLimit: number;
  /** Flooded frames allowed (segment's own, else the global one); undefined: unlimited. */
  floodRateLimit?: FloodRateLimit;
}

export interface Plan {
  family: 4 | 6;
  underlayInterface?: string;
  underlayMtu: number;
  io: "batch" | "dgram";
  /** One entry per (TAP, VLAN): a trunk TAP appears once per VLAN, in ascending VLAN order. */
  segments: PlannedSegment[];
  /** Multicast group mode: BUM traffic goes to the group, peers are learned from traffic. */
  multicast?: { group: string; dev: string | undefined; ttl: number };
}

export interface InstanceStatus {
  encap: string;
  io: string;
  local: string;
  /** UDP port (VXLAN); 0 for GRE. */
  port: number;
  /** GRE send options (checksum and sequence flags). */
  gre?: { checksum: boolean; sequence: boolean };
  /** UDP socket offloads, and what the TAPs do (virtio-net header, checksum, TSO, USO). */
  /** udpGso: every sending socket has UDP_SEGMENT on; udpGsoDisabled: sockets where the kernel refused it and it was switched off. */
  offloads: { udpGro: boolean; udpGso: boolean; udpGsoDisabled: number; sourcePortSockets: number } & TapOffloads;
  segments: { id: number; tap: string; vlan?: number; bridge?: string; mtu: number; tapMtu?: number }[];
  /** Each TAP's MAC and health: "recreating" after it was deleted, "stopped" when that failed for good. */
  taps: ({ name: string; mac: string; state: TapState } & TapKeeperCounters)[];
  /** unicastOnly: made by a static FDB entry (`fdb add --dst`), never flooded to. */
  /** txErrors: messages to the peer the kernel refused (no route, unreachable, too big). */
  peers: { address: string; dynamic: boolean; unicastOnly?: boolean; membership?: PeerMembership; rxFrames: number; txFrames: number; rxBytes: number; txBytes: number; txErrors: number }[];
  /** Membership through etcd, when configured. */
  membership?: MembershipStatus;
  group?: { address: string; dev: string | undefined; ttl: number; txFrames: number };
  /** Busy polling: the window (µs, 0 = off), what it spins on, and what it did. */
  busyPoll: { windowUs: number; fds: number } & BusyPollCounters;
  /** Encrypted tunnels: the cipher, sealed segments ("all") and what the keys did. */
  encryption?: { cipher: string; segments: number[] | "all"; rotateSeconds: number; opened: number; txRotations: number; rxRotations: number; derivations: number };
  uptimeSeconds: number;
}

function floodLimitOf(c: { pps: number; burst?: number } | undefined): FloodRateLimit | undefined {
  return c === undefined ? undefined : { pps: c.pps, burst: c.burst ?? c.pps };
}

/** UDP_SEGMENT on the sockets that send (the source-port sockets when there are any). */
function gsoState(s: TunnelSockets | undefined): { udpGso: boolean; udpGsoDisabled: number } {
  if (s === undefined) return { udpGso: false, udpGsoDisabled: 0 };
  const sending = s.senders.length > 0 ? s.senders : [s.main];
  return { udpGso: sending.every((x) => x.gso), udpGsoDisabled: sending.filter((x) => x.gsoDisabled === true).length };
}

function bridgeExists(name: string): boolean {
  try {
    native.linkIndex(name);
    return true;
  } catch {
    return false;
  }
}

/**
 * A new bridge with snooping on sends IGMP reports of its own that would be flooded into the
 * overlay; the kernel vxlan scripts' bridges are usually made without it. Best effort via sysfs.
 */
function disableMulticastSnooping(bridge: string, log: (line: string) => void): void {
  try {
    writeFileSync(`/sys/class/net/${bridge}/bridge/multicast_snooping`, "0");
  } catch (err) {
    log(`could not turn multicast snooping off on ${bridge}: ${(err as NodeJS.ErrnoException).code ?? err}`);
  }
}

/** Works out what `up` will do, without touching anything but read-only queries. */
export function plan(cfg: Config): Plan {
  const family = isIP(cfg.local) === 6 ? 6 : 4;
  const underlayInterface = interfaceOfAddress(cfg.local);
  let underlayMtu = cfg.underlayMtu ?? 1500;
  if (cfg.underlayMtu === undefined && underlayInterface !== undefined) {
    try {
      underlayMtu = native.linkGetMtu(underlayInterface);
    } catch {
      // Keep 1500 when the MTU cannot be read; `status` shows the figure used.
    }
  }
  // GRE: 4 bytes per option in the header (key, checksum, sequence), so the MTU is per segment.
  const greSend = { checksum: cfg.greChecksum, sequence: cfg.greSequence };
  const derivedOf = (keyed: boolean, id: number): number =>
    overlayMtu(underlayMtu, cfg.encap, family, cfg.encap === "gre" ? greOptionCount(keyed, greSend) : 0, segmentEncrypted(cfg, id));
  // A trunk TAP has one entry per VLAN; the first entry naming a bridge creates it.
  const bridgesSeen = new Set<string>();
  return {
    family,
    underlayInterface,
    underlayMtu,
    io: cfg.io === "dgram" ? "dgram" : "batch",
    segments: segmentPorts(cfg).map((p) => {
      const s = cfg.segments[p.segment]!;
      const derived = derivedOf(s.key !== undefined || s.trunk === true, p.id);
      const firstUse = s.bridge !== undefined && !bridgesSeen.has(s.bridge);
      if (s.bridge !== undefined) bridgesSeen.add(s.bridge);
      return {
        id: p.id,
        tap: s.tap,
        vlan: p.vlan,
        bridge: s.bridge,
        createBridge: firstUse && !bridgeExists(s.bridge!),
        address: s.address,
        mtu: s.mtu ?? derived,
        tapMtu: Math.max(s.tapMtu ?? 0, s.mtu ?? derived),
        mac: s.mac,
        mtuLimit: derived,
        mtuSource: s.mtu !== undefined ? "configured" : `underlay ${underlayInterface ?? "(assumed)"} mtu ${underlayMtu} - ${underlayMtu - derived} overhead`,
        floodRateLimit: floodLimitOf(s.floodRateLimit ?? cfg.floodRateLimit),
      };
    }),
    multicast: cfg.group === undefined ? undefined : { group: cfg.group, dev: cfg.dev ?? underlayInterface, ttl: cfg.ttl ?? 1 },
  };
}

export class SwitchInstance {
  readonly stats = new DataplaneStats();
  readonly observers = new Observers();
  readonly fdb: Fdb;
  readonly endpoints = new Endpoints();
  readonly peers = new PeerTable();
  private readonly segments: Segments;
  private readonly forwarder: Forwarder;
  private readonly segmentRuntimes = new Map<number, SegmentRuntime>();
  private readonly portsById = new Map<number, PortRuntime>();
  private readonly taps: TapRuntime[] = [];
  /** One per TAP, by TapRuntime.index: the TAP, recreated if it is deleted under us. */
  private readonly keepers: TapKeeper[] = [];
  private readonly tapMacs: Buffer[] = [];
  private readonly egressLoops: EgressLoop[] = [];
  private readonly tapProbe: TapOffloadProbe;
  private readonly createdBridges: string[] = [];
  private sockets: TunnelSockets | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private busyPoll: BusyPoll | undefined;
  /** Group mode: the multicast group as the flood target (not in `peers`: nothing comes from it). */
  private group: Peer | undefined;
  /** Group mode: peers learned from traffic. */
  private learned: LearnedPeers | undefined;
  /**
   * Peers that exist only as the destination of static FDB entries (`fdb add MAC --dst NEW`):
   * unicast only (never a flood target), removed with the last entry naming them. Values: the
   * entries, as "segment/mac".
   */
  private readonly unicastOnly = new Map<number, Set<string>>();
  private readonly encap: Encapsulation;
  /** Encrypted tunnels (config.encryption): keys per peer, sealing and opening. */
  private readonly crypto: CryptoSession | undefined;
  private readonly started = Date.now();
  io: "batch" | "dgram" = "batch";
  /** Set by whoever runs membership (etcd): what status and peers report about it. */
  membership: MembershipReport | undefined;

  constructor(readonly config: Config, readonly plan: Plan, private readonly log: (line: string) => void = () => {}) {
    this.fdb = new Fdb({ ageingMs: config.ageing * 1000, maxEntries: config.maxAddresses });
    this.segments = new Segments(this.endpoints);
    this.forwarder = new Forwarder(this.fdb, this.endpoints, this.segments);
    this.tapProbe = new TapOffloadProbe(config.offloads);
    const clear = config.encap === "gre"
      ? new GreEncap(greSegmentsOf(config), { checksum: config.greChecksum, sequence: config.greSequence })
      : new VxlanEncap();
    const e = config.encryption;
    this.crypto = e === undefined
      ? undefined
      : new CryptoSession({ cipher: e.cipher, psk: readKeyFile(e.keyFile), local16: parseAddress(config.local), rotateSeconds: e.rotateSeconds, segments: e.segments });
    this.encap = this.crypto === undefined ? clear : new SealedEncap(clear, this.crypto);
  }

  /** Opens everything; on any failure closes what was opened and rethrows. */
  async start(): Promise<void> {
    try {
      await this.openSockets();
      this.openTaps();
      this.startLoops();
    } catch (err) {
      this.close();
      throw err;
    }
  }

  private async openSockets(): Promise<void> {
    const cfg = this.config;
    const family = this.plan.family;
    const open = async (port: number, address = cfg.local): Promise<TunnelSocket> => {
      // A deep receive queue rides out scheduling gaps of the single JS thread.
      if (this.io === "batch") return UdpBatchSocket.open({ family, address, port, gro: true, gso: true, rcvBuf: SOCKET_BUFFER_BYTES, sndBuf: SOCKET_BUFFER_BYTES });
      return DgramSocket.open({ family, address, port, rcvBuf: SOCKET_BUFFER_BYTES });
    };
    this.io = cfg.io === "dgram" ? "dgram" : "batch";
    if (cfg.encap === "gre") {
      // One raw IPPROTO_GRE socket sends and receives: GRE has no ports, so no source-port pool.
      this.io = "batch";
      this.sockets = { main: GreSocket.open({ family, address: cfg.local, rcvBuf: SOCKET_BUFFER_BYTES, sndBuf: SOCKET_BUFFER_BYTES }), senders: [] };
      for (const address of cfg.peers) this.addPeer(address, false);
      return;
    }
    // Group mode: group traffic is not addressed to local, so the receiving socket binds the
    // wildcard (as kernel vxlan does); the senders stay on local, the source peers learn.
    const mainAddress = cfg.group === undefined ? cfg.local : groupBindAddress(family);
    let main: TunnelSocket;
    try {
      main = await open(cfg.port, mainAddress);
    } catch (err) {
      if (cfg.io !== "auto") throw err;
      this.log(`native batched UDP unavailable (${(err as Error).message}); falling back to node:dgram`);
      this.io = "dgram";
      main = await open(cfg.port, mainAddress);
    }
    const senders: TunnelSocket[] = [];
    for (let i = 0; i < SOURCE_PORT_SOCKETS; i++) senders.push(await open(0));
    this.sockets = { main, senders };
    if (this.plan.multicast !== undefined) this.startGroupMode(this.plan.multicast, [main, ...senders]);
    for (const address of cfg.peers) this.addPeer(address, false);
  }

  /** Joins the group, makes it every segment's flood target and starts learning peers from traffic. */
  private startGroupMode(m: NonNullable<Plan["multicast"]>, sockets: TunnelSocket[]): void {
    const cfg = this.config;
    joinGroup(sockets, { ...m, family: this.plan.family, local: cfg.local });
    const id = this.endpoints.addPeer(m.group);
    this.group = newPeer({ id, address: m.group, addr16: parseAddress(m.group), port: cfg.port, dynamic: false });
    this.segments.addMeshPeer(id);
    const opts = { family: this.plan.family, local: cfg.local, max: cfg.maxLearnedPeers, ageingMs: cfg.ageing * 1000 };
    this.learned = new LearnedPeers(opts, (address) => this.addPeer(address, true), (peer) => this.removePeer(peer), this.log);
    this.log(`multicast group ${m.group} joined on ${m.dev ?? "the routed interface"}, ttl ${m.ttl}, loop off; learning up to ${cfg.maxLearnedPeers} peers`);
  }

  /** Flood targets of a segment: the group (group mode) and the configured peers. */
  private floodPeers(): Peer[] {
    const configured = this.peers.all().filter((p) => !p.dynamic && !this.unicastOnly.has(p.id));
    return this.group === undefined ? configured : [this.group, ...configured];
  }

  /** Removes a peer: its FDB entries first, so no entry names the id once it is reused. */
  private removePeer(peer: Peer): void {
    this.fdb.flush(undefined, peer.id, true);
    this.segments.dropPeer(peer.id);
    for (const seg of this.segmentRuntimes.values()) {
      const i = seg.peers.indexOf(peer);
      if (i >= 0) seg.peers.splice(i, 1);
    }
    this.peers.remove(peer.id);
    this.crypto?.removePeer(peer);
    this.endpoints.remove(peer.id);
  }

  /** flood: the peer gets a copy of every flood (configured peers); learned and FDB-only peers do not. */
  private addPeer(address: string, dynamic: boolean, flood = !dynamic): Peer {
    const id = this.endpoints.addPeer(address);
    const peer = newPeer({ id, address, addr16: parseAddress(address), port: this.config.encap === "gre" ? 0 : this.config.port, dynamic });
    this.peers.add(peer);
    this.crypto?.addPeer(peer);
    // A learned peer (group mode) is reached by unicast only: floods go to the group.
    if (flood) {
      this.segments.addMeshPeer(id);
      for (const seg of this.segmentRuntimes.values()) seg.peers.push(peer);
    }
    return peer;
  }

  private openTaps(): void {
    const byName = new Map<string, TapRuntime>();
    for (const s of this.plan.segments) {
      // A trunk TAP is opened once and carries one segment per VLAN.
      const opened = byName.get(s.tap);
      if (opened !== undefined) {
        this.addPort(s, opened);
        continue;
      }
      if (s.bridge !== undefined && s.createBridge) this.createBridge(s.bridge);
      const mac = tapMacFor(s.mac, this.config.local, s.tap);
      const keeper = TapKeeper.open(s.tap, {
        open: (name) => this.tapProbe.open(name),
        setup: (device) => this.setUpTap(device, s, mac),
        log: this.log,
      });
      this.keepers.push(keeper);
      this.tapMacs.push(mac);
      const tap: TapRuntime = { device: keeper, trunk: s.vlan !== 0, index: this.taps.length, access: undefined, byVlan: new Map() };
      this.taps.push(tap);
      byName.set(s.tap, tap);
      this.addPort(s, tap);
    }
  }

  private createBridge(bridge: string): void {
    native.bridgeAdd(bridge);
    if (!this.createdBridges.includes(bridge)) this.createdBridges.push(bridge);
    disableMulticastSnooping(bridge, this.log);
    native.linkSetUp(bridge, true);
  }

  /**
   * A TAP as the segment wants it, at start and again when it is recreated: its stable MAC (so
   * neighbours' ARP entries survive restarts), MTU, bridge (ours is made again if it went too),
   * link up, and the address when it sits on the TAP (or on a bridge we had to make again).
   */
  private setUpTap(device: TapDevice, s: PlannedSegment, mac: Buffer): void {
    device.setMac(mac);
    device.setMtu(s.tapMtu);
    let addressHome = s.bridge === undefined;
    if (s.bridge !== undefined) {
      if (!bridgeExists(s.bridge) && this.createdBridges.includes(s.bridge)) {
        this.createBridge(s.bridge);
        addressHome = true;
      }
      device.attach(s.bridge);
    }
    device.up();
    if (s.address !== undefined && addressHome) {
      const [addr, len] = s.address.split("/");
      native.linkAddAddress(s.bridge ?? s.tap, parseAddress(addr!), Number(len));
    }
  }

  /** The segment of a planned entry and its local port: the TAP, or VLAN s.vlan of a trunk TAP ("TAP.VLAN"). */
  private addPort(s: PlannedSegment, tap: TapRuntime): void {
    const seg = segmentRuntime(s.id, this.floodPeers(), s.mtu, s.floodRateLimit && new FloodLimiter(s.floodRateLimit));
    this.segmentRuntimes.set(s.id, seg);
    const portId = this.endpoints.addPort(s.vlan === 0 ? s.tap : `${s.tap}.${s.vlan}`);
    const port: PortRuntime = { id: portId, tap, vlan: s.vlan, segment: seg };
    seg.ports.push(port);
    if (s.vlan === 0) tap.access = port;
    else tap.byVlan.set(s.vlan, port);
    this.portsById.set(portId, port);
    // The switch's own TAP MAC lives on its port and is never learned elsewhere (static).
    this.fdb.addStatic(s.id, readMac(this.tapMacs[tap.index]!, 0), portId);
    this.segments.addSegment(s.id, { mtu: s.mtu, greKey: this.config.encap === "gre" ? s.id : undefined });
    this.segments.attachPort(s.id, portId, s.vlan);
    const where = s.vlan === 0 ? `tap ${s.tap}` : `trunk tap ${s.tap} vlan ${s.vlan}`;
    const limit = s.floodRateLimit ? ` flood limit ${s.floodRateLimit.pps} pps burst ${s.floodRateLimit.burst}` : "";
    this.log(`segment ${this.config.encap} ${s.id}: ${where} mtu ${s.mtu} (${s.mtuSource})${s.bridge ? ` bridge ${s.bridge}` : ""}${limit}`);
  }

  private startLoops(): void {
    const sockets = this.sockets!;
    const batchSize = this.config.batch;
    // Slots hold what the TAP's link lets through, which may be more than the overlay carries.
    const maxMtu = Math.max(...this.plan.segments.map((s) => Math.max(s.mtu, s.tapMtu)));
    const maxFrame = maxMtu + 14 + 4;
    // Sealed frames get their tag behind them, in the slot.
    const tapSlot = this.tapProbe.tapSlotSize(HEADROOM, maxFrame + (this.crypto === undefined ? 0 : CRYPTO_TAG_LEN));
    const vnetHdr = this.tapProbe.offloads.tapVnetHdr;
    // Room for a whole GSO datagram on every socket, UDP_GRO or not: a same-host sender's UDP
    // tunnel GSO packet reaches any UDP socket unsegmented (up to 64 KiB, one tunnel header).
    const tunnelSlot = GRO_MAX_DATAGRAM + HEADROOM;
    const spinSources: BusyPollSource[] = [];
    for (const tap of this.taps) {
      const loop = new EgressLoop(tap, this.taps, this.portsById, sockets, this.encap, this.fdb, this.forwarder, this.peers, this.stats, this.observers, {
        batchSize,
        slotSize: tapSlot,
        maxFrame,
        dstPort: this.config.port,
        vnetHdr,
        family: this.plan.family,
      });
      this.egressLoops.push(loop);
      this.keepers[tap.index]!.onReadable(() => {
        loop.onReadable();
        this.busyPoll?.kick();
      });
      spinSources.push({ fd: this.keepers[tap.index]!.fd, onReadable: () => loop.onReadable() });
    }
    const ingress = new IngressLoop(sockets.main, this.taps, this.segmentRuntimes, this.portsById, this.encap, this.fdb, this.forwarder, this.peers, this.stats, this.observers, {
      batchSize,
      slotSize: tunnelSlot,
      vnetHdr,
      learnPeers: this.learned !== undefined,
      maxFrame,
    }, this.learned?.learn ?? (() => undefined));
    sockets.main.onReadable(() => {
      ingress.onReadable();
      this.busyPoll?.kick();
    });
    if (sockets.main.fd !== undefined) spinSources.push({ fd: sockets.main.fd, onReadable: () => ingress.onReadable() });
    this.startBusyPoll(spinSources);
    this.sweepTimer = setInterval(() => {
      this.fdb.sweep();
      this.learned?.sweep(this.peers.all(), Date.now());
    }, 1000);
    this.sweepTimer.unref();
    this.log(`tap offloads: ${describeOffloads(this.tapProbe.offloads)}`);
    const e = this.config.encryption;
    if (e !== undefined) this.log(`encryption ${e.cipher} for ${e.segments === undefined ? "every segment" : `segments ${e.segments.join(", ")}`}, keys from ${e.keyFile}, rotated every ${e.rotateSeconds} s`);
    if (this.config.encap === "gre") this.log(`io raw GRE socket: checksum ${this.config.greChecksum ? "on" : "off"}, sequence ${this.config.greSequence ? "on" : "off"}`);
    else this.log(`io ${this.io}: udp gro ${sockets.main.gro ? "on" : "off"}, gso ${sockets.main.gso ? "on" : "off"}, ${sockets.senders.length} source-port sockets`);
  }

  /** Spins on the TAPs and the tunnel socket after traffic when config.busyPoll > 0. */
  private startBusyPoll(sources: BusyPollSource[]): void {
    const windowUs = this.config.busyPoll;
    if (windowUs === 0) return;
    if (sources.length > MAX_BUSY_POLL_SOURCES) {
      this.log(`busy-poll off: ${sources.length} fds to watch, at most ${MAX_BUSY_POLL_SOURCES} can be spun on`);
      return;
    }
    this.busyPoll = new BusyPoll(loadNative(), sources, windowUs);
    const socket = this.sockets!.main.fd === undefined ? " (not the node:dgram socket, which has no fd: TAPs only)" : "";
    this.log(`busy-poll ${windowUs} µs after the last packet on ${sources.length} fds${socket}`);
  }

  /** What capture and trace read: the tables, counters and observer taps of this switch. */
  debugView(): DebugView {
    return {
      encap: this.config.encap,
      local: parseAddress(this.config.local),
      port: this.config.encap === "gre" ? 0 : this.config.port,
      vnetHdr: this.tapProbe.offloads.tapVnetHdr,
      learnsPeers: this.learned !== undefined,
      observers: this.observers,
      stats: this.stats,
      fdb: this.fdb,
      endpoints: this.endpoints,
      peers: this.peers,
      forwarder: this.forwarder,
      segment: (id) => this.segmentRuntimes.get(id),
      modelSegment: (id) => this.segments.get(id),
    };
  }

  /** Name of the (first) local port of a segment ("TAP", or "TAP.VLAN" on a trunk): `dev` in `fdb show`. */
  tapOfSegment(id: number): string {
    const port = this.segmentRuntimes.get(id)?.ports[0];
    return port === undefined ? "?" : (this.endpoints.name(port.id) ?? "?");
  }

  /**
   * A static FDB entry toward a peer address or a local TAP. An address that is not a peer yet
   * becomes a unicast-only endpoint (like `bridge fdb add MAC dev vxlan0 dst ADDR` in the kernel:
   * no flooding to it), removed again with its last entry.
   */
  addStaticEntry(id: number, mac: number, dst?: string, dev?: string): void {
    const seg = this.segmentRuntimes.get(id);
    if (seg === undefined) throw new Error(`no segment ${id}`);
    let endpoint: number;
    if (dst !== undefined) {
      endpoint = this.unicastEndpoint(dst);
    } else if (dev !== undefined) {
      const port = seg.ports.find((p) => this.endpoints.name(p.id) === dev || (p.vlan === 0 && p.tap.device.name === dev));
      if (port === undefined) throw new Error(`${dev} is not a TAP of segment ${id}`);
      endpoint = port.id;
    } else {
      throw new Error("give --dst ADDR or --dev TAP");
    }
    try {
      this.fdb.addStatic(id, mac, endpoint);
    } catch (err) {
      this.releaseUnicastOnly(endpoint);
      throw err;
    }
    // The entry may have pointed at another unicast-only peer before.
    const key = `${id}/${mac}`;
    for (const peerId of [...this.unicastOnly.keys()]) if (peerId !== endpoint) this.releaseUnicastOnly(peerId, key);
    this.unicastOnly.get(endpoint)?.add(key);
  }

  /** Removes one FDB entry; a unicast-only peer goes with its last entry. */
  removeFdbEntry(id: number, mac: number): boolean {
    const removed = this.fdb.remove(id, mac);
    for (const peerId of [...this.unicastOnly.keys()]) this.releaseUnicastOnly(peerId, `${id}/${mac}`);
    return removed;
  }

  /** The peer at dst, or a new unicast-only one. */
  private unicastEndpoint(dst: string): number {
    const addr16 = this.checkPeerAddress(dst);
    const known = this.peers.lookup(addr16, 0);
    if (known !== undefined) return known.id;
    const peer = this.addPeer(dst, false, false);
    this.unicastOnly.set(peer.id, new Set());
    this.log(`peer ${dst} added for static FDB entries (unicast only, not flooded to)`);
    return peer.id;
  }

  /** Forgets key for a unicast-only peer and removes the peer if no entry names it any more. */
  private releaseUnicastOnly(peerId: number, key?: string): void {
    const keys = this.unicastOnly.get(peerId);
    if (keys === undefined) return;
    if (key !== undefined) keys.delete(key);
    if (keys.size > 0) return;
    const peer = this.peers.get(peerId);
    this.unicastOnly.delete(peerId);
    if (peer === undefined) return;
    this.removePeer(peer);
    this.log(`peer ${peer.address} removed with its last static FDB entry`);
  }

  /**
   * `peers add ADDR [--vni N]` at run time: a flood peer of every segment, or of segment vni only
   * (that segment then keeps its own peer list, starting from the mesh it had). An FDB-only peer
   * at that address becomes a flood peer. The flood lists the loops read are replaced between batches.
   */
  addFloodPeer(address: string, vni?: number): string {
    if (vni !== undefined && !this.segments.has(vni)) throw new Error(`no segment ${vni} (segments: ${[...this.segmentRuntimes.keys()].join(", ")})`);
    const addr16 = this.checkPeerAddress(address);
    let peer = this.peers.lookup(addr16, 0);
    if (peer?.dynamic === true) throw new Error(`${address} is a peer learned from traffic; it cannot also be configured`);
    const where = vni === undefined ? "every segment" : `segment ${vni}`;
    if (peer !== undefined && !this.unicastOnly.has(peer.id)) {
      const floodedIn = this.segments.all().filter((seg) => seg.peers.includes(peer!.id)).length;
      if (vni === undefined ? this.segments.meshPeers.includes(peer.id) && floodedIn === this.segments.size : this.segments.get(vni)!.peers.includes(peer.id)) {
        throw new Error(`${address} is already a peer of ${where}`);
      }
    }
    if (peer === undefined) peer = this.addPeer(address, false, false);
    else this.unicastOnly.delete(peer.id);
    if (vni === undefined) {
      this.segments.addMeshPeer(peer.id);
      for (const seg of this.segments.all()) if (seg.ownPeers) this.segments.addPeer(seg.vni, peer.id);
    } else {
      this.segments.addPeer(this.ownPeerList(vni), peer.id);
    }
    this.syncFloodLists();
    this.log(`peer ${address} added to ${where}`);
    return where;
  }

  /**
   * `peers del ADDR [--vni N]`: without vni the peer goes entirely (with its FDB entries, static
   * ones too); with vni it leaves that segment's flood list and its learned entries there go.
   */
  removeFloodPeer(address: string, vni?: number): { fdbEntriesRemoved: number } {
    const peer = this.peers.lookup(this.checkPeerAddress(address), 0);
    if (peer === undefined || peer.dynamic) throw new Error(`${address} is not a configured peer`);
    if (vni === undefined) {
      let entries = 0;
      for (const e of this.fdb.entries()) if (e.endpoint === peer.id) entries++;
      this.unicastOnly.delete(peer.id);
      this.removePeer(peer);
      this.syncFloodLists();
      this.log(`peer ${address} removed (${entries} FDB entries with it)`);
      return { fdbEntriesRemoved: entries };
    }
    if (!this.segments.has(vni)) throw new Error(`no segment ${vni}`);
    if (!this.segments.removePeer(this.ownPeerList(vni), peer.id)) throw new Error(`${address} is not a flood peer of segment ${vni}`);
    const removed = this.fdb.flush(vni, peer.id);
    this.syncFloodLists();
    this.log(`peer ${address} removed from segment ${vni} (${removed} learned FDB entries with it)`);
    return { fdbEntriesRemoved: removed };
  }

  /** Gives segment vni a peer list of its own (a copy of the mesh) if it follows the mesh; returns vni. */
  private ownPeerList(vni: number): number {
    const seg = this.segments.get(vni)!;
    if (!seg.ownPeers) {
      const mesh = [...seg.peers];
      // addPeer on an empty own list would drop the mesh; seed it peer by peer instead.
      if (mesh.length === 0) return vni;
      for (const id of mesh) this.segments.addPeer(vni, id);
    }
    return vni;
  }

  /** The loops' flood targets per segment, rebuilt from the model (group first, as floodPeers orders them). */
  private syncFloodLists(): void {
    for (const rt of this.segmentRuntimes.values()) {
      const ids = this.segments.get(rt.id)?.peers ?? [];
      const list: Peer[] = [];
      for (const id of ids) {
        const p = id === this.group?.id ? this.group : this.peers.get(id);
        if (p !== undefined) list.push(p);
      }
      rt.peers = list;
    }
    for (const loop of this.egressLoops) loop.reservePeers(this.peers.size + 1);
  }

  private checkPeerAddress(address: string): Uint8Array {
    if (isIP(address) !== this.plan.family) throw new Error(`${address} is not an IPv${this.plan.family} address (the underlay is IPv${this.plan.family})`);
    const addr16 = parseAddress(address);
    if (sameAddress(addr16, 0, parseAddress(this.config.local), 0)) throw new Error(`${address} is this switch's own address`);
    return addr16;
  }

  /** Whether address is a peer now (configured, membership-made or FDB-only). */
  hasPeer(address: string): boolean {
    return this.peers.lookup(this.checkPeerAddress(address), 0) !== undefined;
  }

  /** MACs of segment vni behind local ports (learned or static), newest first, at most max: what membership publishes. */
  localMacs(vni: number, max: number): string[] {
    const out: string[] = [];
    for (const e of this.fdb.entries(vni)) {
      if (out.length >= max) break;
      if (this.endpoints.isPort(e.endpoint)) out.push(e.mac);
    }
    return out;
  }

  /**
   * A MAC another host published: a learned entry toward its peer, so it is unicast from the
   * first frame, and a local sighting or a newer frame from elsewhere still moves it. Never
   * replaces a local entry. Installing it again refreshes its age. Returns false when skipped.
   */
  installRemoteMac(vni: number, mac: string, address: string): boolean {
    const peer = this.peers.lookup(this.checkPeerAddress(address), 0);
    if (peer === undefined || !this.segments.has(vni)) return false;
    const key = parseMac(mac);
    this.fdb.tick();
    const current = this.fdb.lookup(vni, key);
    if (current >= 0 && this.endpoints.isPort(current)) return false;
    this.fdb.learn(vni, key, peer.id);
    return true;
  }

  /** Withdraws a published MAC: the entry goes if it still points at that host. */
  withdrawRemoteMac(vni: number, mac: string, address: string): boolean {
    const peer = this.peers.lookup(this.checkPeerAddress(address), 0);
    if (peer === undefined) return false;
    const key = parseMac(mac);
    return this.fdb.lookup(vni, key) === peer.id && this.fdb.remove(vni, key);
  }

  /** FDB ageing at run time (reload); 0 = never. */
  setAgeing(seconds: number): void {
    this.fdb.ageingMs = seconds * 1000;
  }

  flushLearned(): number {
    return this.fdb.flush();
  }

  /** Packets the kernel dropped before we could read them (receive queue full). */
  /** What the addon counted instead of throwing: failed reads/writes/sends, oversize frames, GSO fallbacks. */
  ioCounters(): NativeIoCounters {
    return loadNative().ioCounters();
  }

  socketDrops(): number {
    return this.config.encap === "vxlan" ? udpSocketDrops(this.config.port) : rawSocketDrops(IPPROTO_GRE);
  }

  /** Each segment's traffic counters (the loops add to them), by segment id (VNI or GRE key). */
  segmentTraffic(): { id: number; traffic: SegmentTraffic }[] {
    return [...this.segmentRuntimes.values()].map((seg) => ({ id: seg.id, traffic: seg.traffic }));
  }

  fdbCounters(): Record<string, number> {
    return { entries: this.fdb.size(), ...this.fdb.counters };
  }

  /** Peers configured and learned now, and what learning did (group mode). */
  peerCounters(): { configured: number; learnedNow: number } & LearnedPeerCounters {
    const learnedNow = this.learned?.size ?? 0;
    return { configured: this.peers.size - learnedNow, learnedNow, ...(this.learned?.counters ?? { learned: 0, refused: 0, aged: 0 }) };
  }

  status(): InstanceStatus {
    const s = this.sockets;
    return {
      encap: this.config.encap,
      io: this.io,
      local: this.config.local,
      port: this.config.encap === "gre" ? 0 : this.config.port,
      gre: this.config.encap === "gre" ? { checksum: this.config.greChecksum, sequence: this.config.greSequence } : undefined,
      offloads: { udpGro: s?.main.gro ?? false, ...gsoState(s), sourcePortSockets: s?.senders.length ?? 0, ...this.tapProbe.offloads },
      segments: this.plan.segments.map((p) => ({ id: p.id, tap: p.tap, ...(p.vlan !== 0 ? { vlan: p.vlan } : {}), bridge: p.bridge, mtu: p.mtu, ...(p.tapMtu !== p.mtu ? { tapMtu: p.tapMtu } : {}) })),
      taps: this.keepers.map((k, i) => ({ name: k.name, mac: formatMac(readMac(this.tapMacs[i]!, 0)), state: k.state, ...k.counters })),
      peers: this.peers.all().map((p) => {
        const membership = this.membership?.peerInfo(p.address);
        return { address: p.address, dynamic: p.dynamic, ...(this.unicastOnly.has(p.id) ? { unicastOnly: true } : {}), ...(membership ? { membership } : {}), rxFrames: p.rxFrames, txFrames: p.txFrames, rxBytes: p.rxBytes, txBytes: p.txBytes, txErrors: p.txErrors };
      }),
      ...(this.membership !== undefined ? { membership: this.membership.status() } : {}),
      ...(this.group !== undefined && this.plan.multicast !== undefined
        ? { group: { address: this.group.address, dev: this.plan.multicast.dev, ttl: this.plan.multicast.ttl, txFrames: this.group.txFrames } }
        : {}),
      ...(this.crypto !== undefined && this.config.encryption !== undefined
        ? { encryption: { cipher: this.config.encryption.cipher, segments: this.config.encryption.segments ?? "all", rotateSeconds: this.config.encryption.rotateSeconds, ...this.crypto.counters() } }
        : {}),
      busyPoll: { windowUs: this.busyPoll?.windowUs ?? 0, fds: this.busyPoll === undefined ? 0 : this.taps.length + (s?.main.fd === undefined ? 0 : 1), ...(this.busyPoll?.counters ?? { spins: 0, hits: 0 }) },
      uptimeSeconds: Math.round((Date.now() - this.started) / 1000),
    };
  }

  /** Stops the loops and closes every fd (the TAPs disappear with them) and bridges we created. */
  close(): void {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.busyPoll?.stop();
    for (const keeper of this.keepers) keeper.close();
    this.taps.length = 0;
    this.keepers.length = 0;
    if (this.sockets) {
      for (const s of [this.sockets.main, ...this.sockets.senders]) s.close();
      this.sockets = undefined;
    }
    for (const b of this.createdBridges.splice(0)) {
      try {
        native.linkSetUp(b, false);
        native.bridgeDel(b);
      } catch {
        // Removed by someone else meanwhile.
      }
    }
  }
}
