// One running vxswitch: opens TAPs, bridges and tunnel sockets from a Config, wires the loops, tears down.
import { isIP } from "node:net";
import { writeFileSync } from "node:fs";
import type { Config } from "../control/config.js";
import { overlayMtu } from "../control/config.js";
import { HEADROOM } from "../io/batch.js";
import { TapDevice } from "../io/tap-device.js";
import type { TunnelSocket } from "../io/tunnel-socket.js";
import { GRO_MAX_DATAGRAM, UdpBatchSocket } from "../io/udp-batch-socket.js";
import { DgramSocket } from "../io/dgram-socket.js";
import { native } from "../io/native.js";
import { parseAddress } from "../io/address.js";
import { Endpoints } from "../switch/endpoints.js";
import { Fdb } from "../switch/fdb.js";
import { Forwarder } from "../switch/forwarder.js";
import { Segments } from "../switch/segments.js";
import { EgressLoop } from "./egress.js";
import { IngressLoop } from "./ingress.js";
import type { Encapsulation } from "./encap.js";
import { VxlanEncap } from "./vxlan-encap.js";
import { Observers } from "./observers.js";
import { PeerTable, type Peer } from "./peer-table.js";
import type { PortRuntime, SegmentRuntime, TapRuntime, TunnelSockets } from "./runtime.js";
import { DataplaneStats } from "./stats.js";
import { interfaceOfAddress } from "./underlay.js";
import { udpSocketDrops } from "../io/socket-drops.js";

/** How many sockets send, so the outer source port follows the inner flow (ECMP/RSS spreading). */
const SOURCE_PORT_SOCKETS = 8;
const SOCKET_BUFFER_BYTES = 8 << 20;

export interface PlannedSegment {
  id: number;
  tap: string;
  bridge?: string;
  createBridge: boolean;
  address?: string;
  mtu: number;
  mtuSource: string;
}

export interface Plan {
  family: 4 | 6;
  underlayInterface?: string;
  underlayMtu: number;
  io: "batch" | "dgram";
  segments: PlannedSegment[];
}

export interface InstanceStatus {
  encap: string;
  io: string;
  local: string;
  port: number;
  offloads: { udpGro: boolean; udpGso: boolean; sourcePortSockets: number };
  segments: { id: number; tap: string; bridge?: string; mtu: number }[];
  peers: { address: string; dynamic: boolean; rxFrames: number; txFrames: number }[];
  uptimeSeconds: number;
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
  const derived = overlayMtu(underlayMtu, cfg.encap, family);
  return {
    family,
    underlayInterface,
    underlayMtu,
    io: cfg.io === "dgram" ? "dgram" : "batch",
    segments: cfg.segments.map((s) => ({
      id: cfg.encap === "gre" ? (s.key ?? 0) : s.vni!,
      tap: s.tap,
      bridge: s.bridge,
      createBridge: s.bridge !== undefined && !bridgeExists(s.bridge),
      address: s.address,
      mtu: s.mtu ?? derived,
      mtuSource: s.mtu !== undefined ? "configured" : `underlay ${underlayInterface ?? "(assumed)"} mtu ${underlayMtu} - ${underlayMtu - derived} overhead`,
    })),
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
  private readonly devices: TapDevice[] = [];
  private readonly createdBridges: string[] = [];
  private sockets: TunnelSockets | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private readonly encap: Encapsulation;
  private readonly started = Date.now();
  io: "batch" | "dgram" = "batch";

  constructor(readonly config: Config, readonly plan: Plan, private readonly log: (line: string) => void = () => {}) {
    this.fdb = new Fdb({ ageingMs: config.ageing * 1000, maxEntries: config.maxAddresses });
    this.segments = new Segments(this.endpoints);
    this.forwarder = new Forwarder(this.fdb, this.endpoints, this.segments);
    this.encap = new VxlanEncap();
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
    const open = async (port: number): Promise<TunnelSocket> => {
      // A deep receive queue rides out scheduling gaps of the single JS thread.
      if (this.io === "batch") return UdpBatchSocket.open({ family, address: cfg.local, port, gro: true, gso: true, rcvBuf: SOCKET_BUFFER_BYTES, sndBuf: SOCKET_BUFFER_BYTES });
      return DgramSocket.open({ family, address: cfg.local, port, rcvBuf: SOCKET_BUFFER_BYTES });
    };
    this.io = cfg.io === "dgram" ? "dgram" : "batch";
    let main: TunnelSocket;
    try {
      main = await open(cfg.port);
    } catch (err) {
      if (cfg.io !== "auto") throw err;
      this.log(`native batched UDP unavailable (${(err as Error).message}); falling back to node:dgram`);
      this.io = "dgram";
      main = await open(cfg.port);
    }
    const senders: TunnelSocket[] = [];
    for (let i = 0; i < SOURCE_PORT_SOCKETS; i++) senders.push(await open(0));
    this.sockets = { main, senders };
    for (const address of cfg.peers) this.addPeer(address, false);
  }

  private addPeer(address: string, dynamic: boolean): Peer {
    const id = this.endpoints.addPeer(address);
    const peer: Peer = { id, address, addr16: parseAddress(address), port: this.config.port, dynamic, rxFrames: 0, txFrames: 0, lastSeenMs: 0 };
    this.peers.add(peer);
    this.segments.addMeshPeer(id);
    for (const seg of this.segmentRuntimes.values()) seg.peers.push(peer);
    return peer;
  }

  private openTaps(): void {
    for (const s of this.plan.segments) {
      if (s.bridge !== undefined && s.createBridge) {
        native.bridgeAdd(s.bridge);
        this.createdBridges.push(s.bridge);
        disableMulticastSnooping(s.bridge, this.log);
        native.linkSetUp(s.bridge, true);
      }
      const device = TapDevice.open(s.tap, { vnetHdr: false });
      this.devices.push(device);
      const tap: TapRuntime = { device, trunk: false, index: this.taps.length, access: undefined, byVlan: new Map() };
      this.taps.push(tap);
      device.setMtu(s.mtu);
      if (s.bridge !== undefined) device.attach(s.bridge);
      device.up();
      if (s.address !== undefined) {
        const [addr, len] = s.address.split("/");
        native.linkAddAddress(s.bridge ?? s.tap, parseAddress(addr!), Number(len));
      }
      const seg: SegmentRuntime = { id: s.id, ports: [], peers: this.peers.all().filter((p) => !p.dynamic), mtu: s.mtu };
      this.segmentRuntimes.set(s.id, seg);
      const portId = this.endpoints.addPort(s.tap);
      const port: PortRuntime = { id: portId, tap, vlan: 0, segment: seg };
      seg.ports.push(port);
      tap.access = port;
      this.portsById.set(portId, port);
      this.segments.addSegment(s.id, { mtu: s.mtu });
      this.segments.attachPort(s.id, portId, 0);
      this.log(`segment ${this.config.encap} ${s.id}: tap ${s.tap} mtu ${s.mtu} (${s.mtuSource})${s.bridge ? ` bridge ${s.bridge}` : ""}`);
    }
  }

  private startLoops(): void {
    const sockets = this.sockets!;
    const batchSize = this.config.batch;
    const maxMtu = Math.max(...this.plan.segments.map((s) => s.mtu));
    const maxFrame = maxMtu + 14 + 4;
    const tapSlot = HEADROOM + maxFrame + 4;
    const tunnelSlot = sockets.main.gro ? GRO_MAX_DATAGRAM + HEADROOM : HEADROOM + this.plan.underlayMtu + 64;
    for (const tap of this.taps) {
      const loop = new EgressLoop(tap, this.taps, this.portsById, sockets, this.encap, this.fdb, this.forwarder, this.peers, this.stats, this.observers, {
        batchSize,
        slotSize: tapSlot,
        maxFrame,
        dstPort: this.config.port,
      });
      this.devices[tap.index]!.onReadable(() => loop.onReadable());
    }
    const ingress = new IngressLoop(sockets.main, this.taps, this.segmentRuntimes, this.portsById, this.encap, this.fdb, this.forwarder, this.peers, this.stats, this.observers, {
      batchSize,
      slotSize: tunnelSlot,
      learnPeers: false,
      maxFrame,
    }, () => undefined);
    sockets.main.onReadable(() => ingress.onReadable());
    this.sweepTimer = setInterval(() => this.fdb.sweep(), 1000);
    this.sweepTimer.unref();
    this.log(`io ${this.io}: udp gro ${sockets.main.gro ? "on" : "off"}, gso ${sockets.main.gso ? "on" : "off"}, ${sockets.senders.length} source-port sockets`);
  }

  /** Name of the (first) TAP of a segment, the `dev` that `fdb show` prints for remote entries. */
  tapOfSegment(id: number): string {
    return this.segmentRuntimes.get(id)?.ports[0]?.tap.device.name ?? "?";
  }

  /** A static FDB entry toward a peer address (added as a peer if new) or a local TAP. */
  addStaticEntry(id: number, mac: number, dst?: string, dev?: string): void {
    const seg = this.segmentRuntimes.get(id);
    if (seg === undefined) throw new Error(`no segment ${id}`);
    let endpoint: number;
    if (dst !== undefined) {
      endpoint = (this.peers.all().find((p) => p.address === dst) ?? this.addPeer(dst, false)).id;
    } else if (dev !== undefined) {
      const port = seg.ports.find((p) => p.tap.device.name === dev);
      if (port === undefined) throw new Error(`${dev} is not a TAP of segment ${id}`);
      endpoint = port.id;
    } else {
      throw new Error("give --dst ADDR or --dev TAP");
    }
    this.fdb.addStatic(id, mac, endpoint);
  }

  flushLearned(): number {
    return this.fdb.flush();
  }

  /** Packets the kernel dropped before we could read them (receive queue full). */
  socketDrops(): number {
    return this.config.encap === "vxlan" ? udpSocketDrops(this.config.port) : 0;
  }

  fdbCounters(): Record<string, number> {
    return { entries: this.fdb.size(), ...this.fdb.counters };
  }

  status(): InstanceStatus {
    const s = this.sockets;
    return {
      encap: this.config.encap,
      io: this.io,
      local: this.config.local,
      port: this.config.port,
      offloads: { udpGro: s?.main.gro ?? false, udpGso: s?.main.gso ?? false, sourcePortSockets: s?.senders.length ?? 0 },
      segments: this.plan.segments.map((p) => ({ id: p.id, tap: p.tap, bridge: p.bridge, mtu: p.mtu })),
      peers: this.peers.all().map((p) => ({ address: p.address, dynamic: p.dynamic, rxFrames: p.rxFrames, txFrames: p.txFrames })),
      uptimeSeconds: Math.round((Date.now() - this.started) / 1000),
    };
  }

  /** Stops the loops and closes every fd (the TAPs disappear with them) and bridges we created. */
  close(): void {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    for (const device of this.devices) {
      try {
        device.close();
      } catch {
        // Already gone.
      }
    }
    this.taps.length = 0;
    this.devices.length = 0;
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
