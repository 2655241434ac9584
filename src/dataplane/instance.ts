// One running vxswitch: builds the model from a plan, opens its TAPs and tunnel sockets, wires the loops, tears down.
import { HEADROOM } from "../io/batch.js";
import { parseAddress } from "../io/address.js";
import { HostBridges } from "../io/host-setup.js";
import { joinGroup } from "../io/multicast-group.js";
import { loadNative, type NativeIoCounters } from "../io/native.js";
import { rawSocketDrops, udpSocketDrops } from "../io/socket-drops.js";
import type { TunnelSockets } from "../io/tunnel-socket.js";
import { closeTunnelSockets, gsoState, openTunnelSockets } from "../io/tunnel-sockets.js";
import { GRO_MAX_DATAGRAM } from "../io/udp-batch-socket.js";
import type { Fdb } from "../switch/fdb.js";
import type { SwitchModel } from "../switch/model.js";
import { installRemoteMac, localMacs, withdrawRemoteMac } from "../switch/remote-macs.js";
import type { SegmentTraffic } from "../switch/segment-traffic.js";
import { formatMac, readMac } from "../wire/mac.js";
import { IPPROTO_GRE } from "../wire/ip.js";
import { BusyPoll, MAX_BUSY_POLL_SOURCES, type BusyPollSource } from "../io/busy-poll.js";
import { SwitchCore } from "./core.js";
import { SealedEncap } from "./crypto-encap.js";
import { readKeyFile } from "../io/key-file.js";
import { CRYPTO_TAG_LEN, CryptoSession } from "./crypto-session.js";
import type { Encapsulation } from "./encap.js";
import { GreEncap } from "./gre-encap.js";
import { LearnedPeers, type LearnedPeerCounters } from "./learned-peers.js";
import type { MembershipReport } from "./membership-report.js";
import type { Observers } from "./observers.js";
import { describeOffloads, TapOffloadProbe } from "../io/tap-offloads.js";
import type { SwitchSpec } from "./spec.js";
import type { DataplaneStats } from "./stats.js";
import type { InstanceStatus } from "./status.js";
import { TapKeeper } from "../io/tap-keeper.js";
import { tapMacFor } from "../io/tap-mac.js";
import { VxlanEncap } from "./vxlan-encap.js";
import type { DebugView } from "../debug/trace-view.js";

export class SwitchInstance {
  readonly core: SwitchCore;
  /** One per TAP, by TAP index: the TAP, recreated if it is deleted under us. */
  private readonly keepers: TapKeeper[] = [];
  private readonly tapMacs = new Map<string, Buffer>();
  private readonly tapProbe: TapOffloadProbe;
  private readonly bridges: HostBridges;
  private sockets: TunnelSockets | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private busyPoll: BusyPoll | undefined;
  /** Group mode: peers learned from traffic. */
  private learned: LearnedPeers | undefined;
  private readonly encap: Encapsulation;
  /** Encrypted tunnels: keys per peer, sealing and opening. */
  private readonly crypto: CryptoSession | undefined;
  private readonly started = Date.now();
  io: "batch" | "dgram" = "batch";
  /** Set by whoever runs membership (etcd): what status and peers report about it. */
  membership: MembershipReport | undefined;

  constructor(readonly spec: SwitchSpec, private readonly log: (line: string) => void = () => {}) {
    const e = spec.encryption;
    this.crypto = e === undefined
      ? undefined
      : new CryptoSession({ cipher: e.cipher, psk: readKeyFile(e.keyFile), local16: parseAddress(spec.local), rotateSeconds: e.rotateSeconds, segments: e.segments });
    this.core = new SwitchCore({
      family: spec.family,
      local: spec.local,
      peerPort: spec.encap === "gre" ? 0 : spec.port,
      ageingMs: spec.ageing * 1000,
      maxEntries: spec.maxAddresses,
      onPeerAdded: (peer) => this.crypto?.addPeer(peer),
      onPeerRemoved: (peer) => this.crypto?.removePeer(peer),
      log,
    });
    this.tapProbe = new TapOffloadProbe(spec.offloads);
    this.bridges = new HostBridges(log);
    const clear = spec.encap === "gre" ? new GreEncap(spec.gre) : new VxlanEncap();
    this.encap = this.crypto === undefined ? clear : new SealedEncap(clear, this.crypto);
  }

  get model(): SwitchModel {
    return this.core.model;
  }

  get fdb(): Fdb {
    return this.core.fdb;
  }

  get stats(): DataplaneStats {
    return this.core.stats;
  }

  get observers(): Observers {
    return this.core.observers;
  }

  /** Opens everything; on any failure closes what was opened and rethrows. */
  async start(): Promise<void> {
    try {
      const spec = this.spec;
      const opened = await openTunnelSockets({ encap: spec.encap, family: spec.family, local: spec.local, port: spec.port, io: spec.io, group: spec.multicast !== undefined }, this.log);
      this.sockets = opened.sockets;
      this.io = opened.io;
      this.model.batch(() => {
        if (spec.multicast !== undefined) this.startGroupMode(spec.multicast, [opened.sockets.main, ...opened.sockets.senders]);
        for (const address of spec.peers) this.model.addPeer(address);
        this.openTaps();
      });
      this.startLoops();
    } catch (err) {
      this.close();
      throw err;
    }
  }

  /** Joins the group, makes it every segment's flood target and starts learning peers from traffic. */
  private startGroupMode(m: NonNullable<SwitchSpec["multicast"]>, sockets: TunnelSockets["senders"]): void {
    const spec = this.spec;
    joinGroup(sockets, { ...m, family: spec.family, local: spec.local });
    this.model.setGroup(m.group);
    const opts = { family: spec.family, local: spec.local, max: spec.maxLearnedPeers, ageingMs: spec.ageing * 1000 };
    this.learned = new LearnedPeers(opts, (address) => this.model.addPeer(address, { dynamic: true }), (peer) => this.model.removePeer(peer), this.log);
    this.log(`multicast group ${m.group} joined on ${m.dev ?? "the routed interface"}, ttl ${m.ttl}, loop off; learning up to ${spec.maxLearnedPeers} peers`);
  }

  /** The model's TAPs, segments and ports, and a TAP kept open (and set up on the host) for each. */
  private openTaps(): void {
    const spec = this.spec;
    for (const s of spec.segments) if (!this.tapMacs.has(s.tap)) this.tapMacs.set(s.tap, tapMacFor(s.mac, spec.local, s.tap));
    const taps = this.core.addSegments(spec.segments, (tap) => readMac(this.tapMacs.get(tap)!, 0));
    for (const name of taps) {
      // The first entry of a TAP says how it is set up (a trunk's entries share TAP, bridge and MTU).
      const s = spec.segments.find((x) => x.tap === name)!;
      if (s.bridge !== undefined && s.createBridge) this.bridges.create(s.bridge);
      const setup = { tap: s.tap, mtu: s.tapMtu, mac: this.tapMacs.get(name)!, bridge: s.bridge, address: s.address };
      this.keepers.push(TapKeeper.open(name, {
        open: (tap) => this.tapProbe.open(tap),
        setup: (device) => this.bridges.setUpTap(device, setup),
        log: this.log,
      }));
    }
    for (const s of spec.segments) {
      const where = s.vlan === 0 ? `tap ${s.tap}` : `trunk tap ${s.tap} vlan ${s.vlan}`;
      const limit = s.floodRateLimit ? ` flood limit ${s.floodRateLimit.pps} pps burst ${s.floodRateLimit.burst}` : "";
      this.log(`segment ${spec.encap} ${s.id}: ${where} mtu ${s.mtu} (${s.mtuSource})${s.bridge ? ` bridge ${s.bridge}` : ""}${limit}`);
    }
  }

  private startLoops(): void {
    const sockets = this.sockets!;
    const spec = this.spec;
    // Slots hold what the TAP's link lets through, which may be more than the overlay carries.
    const maxMtu = Math.max(...spec.segments.map((s) => Math.max(s.mtu, s.tapMtu)));
    const maxFrame = maxMtu + 14 + 4;
    const vnetHdr = this.tapProbe.offloads.tapVnetHdr;
    const loops = this.core.wire(this.keepers, sockets, this.encap, {
      batchSize: spec.batch,
      // Sealed frames get their tag behind them, in the slot.
      tapSlot: this.tapProbe.tapSlotSize(HEADROOM, maxFrame + (this.crypto === undefined ? 0 : CRYPTO_TAG_LEN)),
      // Room for a whole GSO datagram on every socket, UDP_GRO or not: a same-host sender's UDP
      // tunnel GSO packet reaches any UDP socket unsegmented (up to 64 KiB, one tunnel header).
      tunnelSlot: GRO_MAX_DATAGRAM + HEADROOM,
      maxFrame,
      dstPort: spec.port,
      vnetHdr,
      family: spec.family,
      learnPeer: this.learned?.learn,
    });
    const spinSources: BusyPollSource[] = [];
    loops.egress.forEach((loop, i) => {
      const keeper = this.keepers[i]!;
      keeper.onReadable(() => {
        loop.onReadable();
        this.busyPoll?.kick();
      });
      spinSources.push({ fd: keeper.fd, onReadable: () => loop.onReadable() });
    });
    sockets.main.onReadable(() => {
      loops.ingress.onReadable();
      this.busyPoll?.kick();
    });
    if (sockets.main.fd !== undefined) spinSources.push({ fd: sockets.main.fd, onReadable: () => loops.ingress.onReadable() });
    this.startBusyPoll(spinSources);
    this.sweepTimer = setInterval(() => {
      this.fdb.sweep();
      this.learned?.sweep(this.model.tables.current.peers.all(), Date.now());
    }, 1000);
    this.sweepTimer.unref();
    this.log(`tap offloads: ${describeOffloads(this.tapProbe.offloads)}`);
    const e = spec.encryption;
    if (e !== undefined) this.log(`encryption ${e.cipher} for ${e.segments === undefined ? "every segment" : `segments ${e.segments.join(", ")}`}, keys from ${e.keyFile}, rotated every ${e.rotateSeconds} s`);
    if (spec.encap === "gre") this.log(`io raw GRE socket: checksum ${spec.gre.checksum ? "on" : "off"}, sequence ${spec.gre.sequence ? "on" : "off"}`);
    else this.log(`io ${this.io}: udp gro ${sockets.main.gro ? "on" : "off"}, gso ${sockets.main.gso ? "on" : "off"}, ${sockets.senders.length} source-port sockets`);
  }

  /** Spins on the TAPs and the tunnel socket after traffic when busyPoll > 0. */
  private startBusyPoll(sources: BusyPollSource[]): void {
    const windowUs = this.spec.busyPoll;
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
      encap: this.spec.encap,
      local: parseAddress(this.spec.local),
      port: this.spec.encap === "gre" ? 0 : this.spec.port,
      vnetHdr: this.tapProbe.offloads.tapVnetHdr,
      learnsPeers: this.learned !== undefined,
      observers: this.observers,
      stats: this.stats,
      fdb: this.fdb,
      endpoints: this.model.endpoints,
      forwarder: this.core.forwarder,
      tables: this.model.tables,
    };
  }

  // --- run-time changes: the model does them; the loops see new tables at their next batch ------

  /** A static FDB entry toward a peer address (a new one is unicast only) or a local TAP. */
  addStaticEntry(id: number, mac: number, dst?: string, dev?: string): void {
    this.model.addStaticEntry(id, mac, { dst, dev });
  }

  removeFdbEntry(id: number, mac: number): boolean {
    return this.model.removeFdbEntry(id, mac);
  }

  addFloodPeer(address: string, vni?: number): string {
    return this.model.addFloodPeer(address, vni);
  }

  removeFloodPeer(address: string, vni?: number): { fdbEntriesRemoved: number } {
    return this.model.removeFloodPeer(address, vni);
  }

  /** Whether address is a peer now (configured, membership-made or FDB-only). */
  hasPeer(address: string): boolean {
    return this.model.peerAt(address) !== undefined;
  }

  localMacs(vni: number, max: number): string[] {
    return localMacs(this.model, this.fdb, vni, max);
  }

  installRemoteMac(vni: number, mac: string, address: string): boolean {
    return installRemoteMac(this.model, this.fdb, vni, mac, address);
  }

  withdrawRemoteMac(vni: number, mac: string, address: string): boolean {
    return withdrawRemoteMac(this.model, this.fdb, vni, mac, address);
  }

  /** FDB ageing at run time (reload); 0 = never. */
  setAgeing(seconds: number): void {
    this.fdb.ageingMs = seconds * 1000;
  }

  flushLearned(): number {
    return this.fdb.flush();
  }

  // --- reading ---------------------------------------------------------------------------------

  /** Name of the (first) local port of a segment ("TAP", or "TAP.VLAN" on a trunk): `dev` in `fdb show`. */
  tapOfSegment(id: number): string {
    return this.model.tables.current.segments.get(id)?.ports[0]?.name ?? "?";
  }

  /** What the addon counted instead of throwing: failed reads/writes/sends, oversize frames, GSO fallbacks. */
  ioCounters(): NativeIoCounters {
    return loadNative().ioCounters();
  }

  /** Packets the kernel dropped before we could read them (receive queue full). */
  socketDrops(): number {
    return this.spec.encap === "vxlan" ? udpSocketDrops(this.spec.port) : rawSocketDrops(IPPROTO_GRE);
  }

  /** Each segment's traffic counters (the loops add to them), by segment id (VNI or GRE key). */
  segmentTraffic(): { id: number; traffic: SegmentTraffic }[] {
    return [...this.model.tables.current.segments.values()].map((seg) => ({ id: seg.id, traffic: seg.traffic }));
  }

  fdbCounters(): Record<string, number> {
    return { entries: this.fdb.size(), ...this.fdb.counters };
  }

  /** Peers configured and learned now, and what learning did (group mode). */
  peerCounters(): { configured: number; learnedNow: number } & LearnedPeerCounters {
    const learnedNow = this.learned?.size ?? 0;
    return { configured: this.model.peerCount - learnedNow, learnedNow, ...(this.learned?.counters ?? { learned: 0, refused: 0, aged: 0 }) };
  }

  status(): InstanceStatus {
    const s = this.sockets;
    const spec = this.spec;
    const group = this.model.group;
    const e = spec.encryption;
    return {
      encap: spec.encap,
      io: this.io,
      local: spec.local,
      port: spec.encap === "gre" ? 0 : spec.port,
      gre: spec.encap === "gre" ? { ...spec.gre } : undefined,
      offloads: { udpGro: s?.main.gro ?? false, ...gsoState(s), sourcePortSockets: s?.senders.length ?? 0, ...this.tapProbe.offloads },
      segments: spec.segments.map((p) => ({ id: p.id, tap: p.tap, ...(p.vlan !== 0 ? { vlan: p.vlan } : {}), bridge: p.bridge, mtu: p.mtu, ...(p.tapMtu !== p.mtu ? { tapMtu: p.tapMtu } : {}) })),
      taps: this.keepers.map((k) => ({ name: k.name, mac: formatMac(readMac(this.tapMacs.get(k.name)!, 0)), state: k.state, ...k.counters })),
      peers: this.model.peers().map(({ peer: p, unicastOnly }) => {
        const membership = this.membership?.peerInfo(p.address);
        return { address: p.address, dynamic: p.dynamic, ...(unicastOnly ? { unicastOnly: true } : {}), ...(membership ? { membership } : {}), rxFrames: p.rxFrames, txFrames: p.txFrames, rxBytes: p.rxBytes, txBytes: p.txBytes, txErrors: p.txErrors };
      }),
      ...(this.membership !== undefined ? { membership: this.membership.status() } : {}),
      ...(group !== undefined && spec.multicast !== undefined ? { group: { address: group.address, dev: spec.multicast.dev, ttl: spec.multicast.ttl, txFrames: group.txFrames } } : {}),
      ...(this.crypto !== undefined && e !== undefined ? { encryption: { cipher: e.cipher, segments: e.segments ?? "all", rotateSeconds: e.rotateSeconds, ...this.crypto.counters() } } : {}),
      busyPoll: { windowUs: this.busyPoll?.windowUs ?? 0, fds: this.busyPoll === undefined ? 0 : this.keepers.length + (s?.main.fd === undefined ? 0 : 1), ...(this.busyPoll?.counters ?? { spins: 0, hits: 0 }) },
      uptimeSeconds: Math.round((Date.now() - this.started) / 1000),
    };
  }

  /** Stops the loops and closes every fd (the TAPs disappear with them) and bridges we created. */
  close(): void {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.busyPoll?.stop();
    for (const keeper of this.keepers) keeper.close();
    this.keepers.length = 0;
    if (this.sockets) {
      closeTunnelSockets(this.sockets);
      this.sockets = undefined;
    }
    this.bridges.removeCreated();
  }
}
