// Config -> plan: what `up` will build (segments, MTUs, bridges to make), read off the host without changing anything.
import { isIP } from "node:net";
import type { PlannedSegment, SwitchSpec } from "../dataplane/spec.js";
import { bridgeExists } from "../io/host-setup.js";
import { native } from "../io/native.js";
import { interfaceOfAddress } from "../io/underlay.js";
import type { FloodRateLimit } from "../switch/flood-limit.js";
import { greOptionCount, overlayMtu } from "../wire/overhead.js";
import { DEFAULT_GROUP_TTL, segmentEncrypted, segmentPorts, type Config } from "./config.js";

export type Plan = SwitchSpec;

function floodLimitOf(c: { pps: number; burst?: number } | undefined): FloodRateLimit | undefined {
  return c === undefined ? undefined : { pps: c.pps, burst: c.burst ?? c.pps };
}

/** The underlay MTU: configured, else the interface's (1500 when it cannot be read; `status` shows the figure used). */
function underlayMtuOf(cfg: Config, underlayInterface: string | undefined): number {
  if (cfg.underlayMtu !== undefined || underlayInterface === undefined) return cfg.underlayMtu ?? 1500;
  try {
    return native.linkGetMtu(underlayInterface);
  } catch {
    return 1500;
  }
}

/** Works out what `up` will do, without touching anything but read-only queries. */
export function plan(cfg: Config): Plan {
  const family = isIP(cfg.local) === 6 ? 6 : 4;
  const underlayInterface = interfaceOfAddress(cfg.local);
  const underlayMtu = underlayMtuOf(cfg, underlayInterface);
  const gre = { checksum: cfg.greChecksum, sequence: cfg.greSequence };
  // GRE: 4 bytes per option in the header (key, checksum, sequence), so the MTU is per segment.
  const derivedOf = (greKeyed: boolean, id: number): number =>
    overlayMtu(underlayMtu, cfg.encap, family, cfg.encap === "gre" ? greOptionCount(greKeyed, gre) : 0, segmentEncrypted(cfg, id));
  // A trunk TAP has one entry per VLAN; the first entry naming a bridge creates it.
  const bridgesSeen = new Set<string>();
  const segments = segmentPorts(cfg).map((p): PlannedSegment => {
    const s = cfg.segments[p.segment]!;
    const greKeyed = cfg.encap === "gre" && (s.key !== undefined || p.vlan !== 0);
    const derived = derivedOf(greKeyed, p.id);
    const firstUse = s.bridge !== undefined && !bridgesSeen.has(s.bridge);
    if (s.bridge !== undefined) bridgesSeen.add(s.bridge);
    return {
      id: p.id,
      tap: s.tap,
      vlan: p.vlan,
      greKeyed,
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
  });
  const e = cfg.encryption;
  return {
    encap: cfg.encap,
    family,
    local: cfg.local,
    port: cfg.port,
    peers: [...cfg.peers],
    io: cfg.io,
    gre,
    ageing: cfg.ageing,
    maxAddresses: cfg.maxAddresses,
    batch: cfg.batch,
    busyPoll: cfg.busyPoll,
    offloads: cfg.offloads,
    maxLearnedPeers: cfg.maxLearnedPeers,
    underlayInterface,
    underlayMtu,
    segments,
    multicast: cfg.group === undefined ? undefined : { group: cfg.group, dev: cfg.dev ?? underlayInterface, ttl: cfg.ttl ?? DEFAULT_GROUP_TTL },
    ...(e === undefined ? {} : { encryption: { cipher: e.cipher, keyFile: e.keyFile, rotateSeconds: e.rotateSeconds, ...(e.segments !== undefined ? { segments: e.segments } : {}) } }),
  };
}
