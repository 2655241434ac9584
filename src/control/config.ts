// The vxswitch configuration: zod schema, file loading (YAML/JSON) and errors a person can act on.
import { readFileSync } from "node:fs";
import { isIP } from "node:net";
import { parseDocument } from "yaml";
import { z } from "zod";
import { formatConfigPath } from "./config-path.js";
import { nonDecimalNumbers } from "./yaml-numbers.js";
import { tryParseListenAddress } from "./listen-address.js";
import { parseMac } from "../wire/mac.js";
import { VXLAN_PORT } from "../wire/vxlan.js";
import { DEFAULT_AGEING_MS, DEFAULT_MAX_ENTRIES } from "../switch/fdb.js";
import { DEFAULT_BATCH } from "../io/batch.js";
import { DEFAULT_PREFIX } from "./membership/records.js";

const ipAddress = z.string().refine((s) => isIP(s) !== 0, { message: "must be an IPv4 or IPv6 address" });

const cidr = z.string().refine(
  (s) => {
    const [addr, len, extra] = s.split("/");
    if (extra !== undefined || addr === undefined || len === undefined || !/^\d+$/.test(len)) return false;
    const family = isIP(addr);
    const prefix = Number(len);
    return (family === 4 && prefix <= 32) || (family === 6 && prefix <= 128);
  },
  { message: "must be ADDRESS/PREFIX, e.g. 10.42.0.1/24" },
);

// Linux interface names: at most 15 bytes, no '/', no whitespace.
const ifName = z.string().regex(/^[^\s/:]{1,15}$/, "must be an interface name of 1-15 characters without '/', ':' or spaces");

/** Flooded frames (broadcast, multicast, unknown unicast) per segment: pps sustained, burst at once (default pps). */
const FloodRateLimitSchema = z.object({
  pps: z.number().int().min(1),
  burst: z.number().int().min(1).optional(),
}).strict();

export const SegmentSchema = z.object({
  vni: z.number().int().min(0).max(0xffffff, "VNI is 24 bits: 0..16777215").optional(),
  key: z.number().int().min(0).max(0xffffffff, "GRE key is 32 bits").optional(),
  tap: ifName,
  bridge: ifName.optional(),
  address: cidr.optional(),
  mtu: z.number().int().min(68).max(65535).optional(),
  /**
   * The TAP's link MTU when it should be larger than the overlay's (e.g. 1500 for containers left
   * at 1500): the bridge then hands vxswitch full-size frames, and those that do not fit the
   * overlay are answered with ICMP "fragmentation needed" / "packet too big".
   */
  tapMtu: z.number().int().min(68).max(65535).optional(),
  /** The TAP's MAC (unicast); default: derived from the host, the local address and the TAP name. */
  mac: z.string().regex(/^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/, "must be a MAC address like 02:00:00:00:00:01")
    .refine((m) => (parseInt(m.slice(0, 2), 16) & 1) === 0, "must be a unicast MAC (the first byte's low bit clear)").optional(),
  /** The TAP carries 802.1Q-tagged frames; `vlans` maps each VLAN to its own segment. */
  trunk: z.boolean().optional(),
  /** Trunk only: VLAN id ("1".."4094") -> VNI (VXLAN) or GRE key. Checked in ConfigSchema. */
  vlans: z.record(z.string(), z.number().int().min(0).max(0xffffffff)).optional(),
  /** This segment's flood limit (each VLAN's on a trunk); overrides the global one. */
  floodRateLimit: FloodRateLimitSchema.optional(),
}).strict();

const macAddress = z.string().refine((s) => {
  try {
    parseMac(s);
    return true;
  } catch {
    return false;
  }
}, { message: "must be a MAC address (six hex pairs, e.g. 52:54:00:12:34:56)" });

/** A static FDB entry, as `fdb add MAC vni N dst ADDR | dev TAP`; applied at start and on reload. */
export const StaticFdbSchema = z.object({
  mac: macAddress,
  /** The segment: VNI (VXLAN) or GRE key. */
  vni: z.number().int().min(0).max(0xffffffff),
  dst: ipAddress.optional(),
  dev: ifName.optional(),
}).strict();

/** 224.0.0.0/4 or ff00::/8. */
function isMulticastAddress(s: string): boolean {
  if (isIP(s) === 4) return Number(s.split(".")[0]) >> 4 === 0xe;
  return isIP(s) === 6 && /^ff[0-9a-f]{2}:/i.test(s);
}

const etcdEndpoint = z.string().refine((s) => {
  try {
    const u = new URL(s);
    return (u.protocol === "http:" || u.protocol === "https:") && u.hostname !== "" && u.pathname === "/";
  } catch {
    return false;
  }
}, { message: "must be an etcd client URL, e.g. http://198.18.0.250:2379 or https://etcd1:2379" });

/** Membership through etcd: register this switch under a lease, flood per VNI to who serves it, optionally publish MACs. */
export const EtcdMembershipSchema = z.object({
  endpoints: z.array(etcdEndpoint).min(1, "give at least one etcd endpoint"),
  /** Key prefix shared by every switch of one overlay. */
  prefix: z.string().regex(/^\/[\x21-\x7e]*$/, "must start with / and hold printable characters only").default(DEFAULT_PREFIX),
  /** TLS: the CA that signed etcd's certificate, and this switch's client certificate and key (files). */
  tls: z.object({ ca: z.string().min(1), cert: z.string().min(1).optional(), key: z.string().min(1).optional() }).strict().optional(),
  /** How long a host stays registered after it stops renewing (crash, cut off): the longest a dead host is flooded to. */
  leaseSeconds: z.number().int().min(2).max(3600).default(10),
  /** Publish locally learned MACs per VNI, and install those of other hosts (unicast from the first frame). */
  publishMacs: z.boolean().default(false),
  /** Most MACs published per VNI by one host (and taken from one host). */
  maxMacsPerVni: z.number().int().min(1).max(100_000).default(1024),
  /** How often the local FDB is read and changed MAC lists written. */
  publishIntervalMs: z.number().int().min(50).max(60_000).default(200),
}).strict().superRefine((e, ctx) => {
  const https = e.endpoints.some((u) => u.startsWith("https:"));
  if (https && e.tls === undefined) ctx.addIssue({ code: "custom", path: ["tls"], message: "https endpoints need tls: { ca } (and cert/key for client certificates)" });
  if (e.tls !== undefined && !e.endpoints.every((u) => u.startsWith("https:"))) ctx.addIssue({ code: "custom", path: ["endpoints"], message: "with tls every endpoint must be https://" });
  if (e.tls !== undefined && (e.tls.cert === undefined) !== (e.tls.key === undefined)) ctx.addIssue({ code: "custom", path: ["tls"], message: "give both cert and key (a client certificate), or neither" });
});

/** Defaults that have no other home: said in `--help` from here too. */
export const DEFAULT_ROTATE_SECONDS = 600;
export const DEFAULT_MAX_LEARNED_PEERS = 1024;
/** Multicast TTL / hop limit of group traffic, as kernel vxlan. */
export const DEFAULT_GROUP_TTL = 1;

/** VLAN ids a trunk may carry: 1..4094 (0 is "priority tagged", 4095 reserved). */
export const MIN_TRUNK_VLAN = 1;
export const MAX_TRUNK_VLAN = 4094;

/** Encrypted tunnels (docs/ENCRYPTION.md): a pre-shared key file, the AEAD, which segments. */
export const EncryptionSchema = z.object({
  /** 32 random bytes as base64 or hex (`vxswitch genkey`), mode 0600. */
  keyFile: z.string().min(1),
  /** Both ends must use the same; aes-256-gcm is the faster with AES-NI, chacha20-poly1305 without. */
  cipher: z.enum(["aes-256-gcm", "chacha20-poly1305"]).default("aes-256-gcm"),
  /** Sealed segments (VNIs / GRE keys); absent: every segment. Others stay clear for kernel/OVS peers. */
  segments: z.array(z.number().int().min(0).max(0xffffffff)).min(1).optional(),
  /** A tx key is replaced after this many seconds (and after 2^32 packets at the latest). */
  rotateSeconds: z.number().int().min(1).max(86400).default(DEFAULT_ROTATE_SECONDS),
}).strict();

export const ConfigSchema = z
  .object({
    local: ipAddress,
    port: z.number().int().min(1).max(65535).default(VXLAN_PORT),
    encap: z.enum(["vxlan", "gre"]).default("vxlan"),
    /** GRE only: send a checksum (C flag) with every packet. Received checksums are always verified. */
    greChecksum: z.boolean().default(false),
    /** GRE only: send a sequence number (S flag), one counter per segment. */
    greSequence: z.boolean().default(false),
    io: z.enum(["auto", "batch", "dgram"]).default("auto"),
    peers: z.array(ipAddress).default([]),
    ageing: z.number().int().min(0).default(DEFAULT_AGEING_MS / 1000),
    maxAddresses: z.number().int().min(1).default(DEFAULT_MAX_ENTRIES),
    batch: z.number().int().min(1).max(1024).default(DEFAULT_BATCH),
    /** Busy polling: spin (one CPU) for this many µs after the last packet instead of sleeping; 0 = off. */
    busyPoll: z.number().int().min(0).max(1_000_000).default(0),
    /** TAP offloads (virtio-net header, checksum, TSO/USO split and TCP coalescing) where the kernel has them. */
    offloads: z.boolean().default(true),
    underlayMtu: z.number().int().min(576).max(65535).optional(),
    control: z.string().optional(),
    /** ADDR:PORT of the Prometheus endpoint (`--metrics`); off when absent. */
    metrics: z.string().refine((s) => tryParseListenAddress(s) !== null, { message: "must be ADDR:PORT, e.g. 127.0.0.1:9464 or [::1]:9464" }).optional(),
    /** Multicast group mode: flood to this group (e.g. 239.1.1.1) and learn peers from traffic. */
    group: ipAddress.refine(isMulticastAddress, { message: "must be a multicast address (224.0.0.0/4 or ff00::/8)" }).optional(),
    /** Multicast TTL / hop limit of group traffic (default 1, like kernel vxlan). */
    ttl: z.number().int().min(1).max(255).optional(),
    /** Underlay interface to join the group on and send it out of (default: the one holding local). */
    dev: ifName.optional(),
    /** Most peers learned from traffic in group mode; packets from further new peers are refused. */
    maxLearnedPeers: z.number().int().min(1).max(1_000_000).default(DEFAULT_MAX_LEARNED_PEERS),
    /** Flood limit of every segment that sets none of its own; off when absent. */
    floodRateLimit: FloodRateLimitSchema.optional(),
    segments: z.array(SegmentSchema).min(1, "at least one segment (vni + tap) is needed"),
    /** Static FDB entries (`permanent` in `fdb show`). */
    fdb: z.array(StaticFdbSchema).default([]),
    /** Where peers come from besides `peers`: etcd. */
    membership: z.object({ etcd: EtcdMembershipSchema.optional() }).strict().optional(),
    encryption: EncryptionSchema.optional(),
  })
  .strict()
  .superRefine((cfg, ctx) => {
    const localFamily = isIP(cfg.local);
    cfg.peers.forEach((p, i) => {
      if (isIP(p) !== 0 && isIP(p) !== localFamily) ctx.addIssue({ code: "custom", path: ["peers", i], message: `peer ${p} is not the same IP family as local ${cfg.local}` });
      if (p === cfg.local) ctx.addIssue({ code: "custom", path: ["peers", i], message: `peer ${p} is the local address` });
    });
    if (cfg.group !== undefined) {
      if (isIP(cfg.group) !== localFamily) ctx.addIssue({ code: "custom", path: ["group"], message: `group ${cfg.group} is not the same IP family as local ${cfg.local}` });
      if (cfg.encap !== "vxlan") ctx.addIssue({ code: "custom", path: ["group"], message: "multicast group mode is VXLAN's; GRE needs peers" });
    } else {
      if (cfg.ttl !== undefined) ctx.addIssue({ code: "custom", path: ["ttl"], message: "ttl applies to multicast group mode: give a group too" });
      if (cfg.dev !== undefined) ctx.addIssue({ code: "custom", path: ["dev"], message: "dev applies to multicast group mode: give a group too" });
    }
    if (cfg.membership?.etcd !== undefined && cfg.group !== undefined) ctx.addIssue({ code: "custom", path: ["membership", "etcd"], message: "etcd membership and a multicast group both decide where floods go: use one" });
    if (cfg.encap === "gre" && cfg.io === "dgram") ctx.addIssue({ code: "custom", path: ["io"], message: "io dgram is UDP (VXLAN) only; GRE uses a raw IPPROTO_GRE socket" });
    if (cfg.encap !== "gre") {
      if (cfg.greChecksum) ctx.addIssue({ code: "custom", path: ["greChecksum"], message: "greChecksum is a GRE option: set encap: gre" });
      if (cfg.greSequence) ctx.addIssue({ code: "custom", path: ["greSequence"], message: "greSequence is a GRE option: set encap: gre" });
    }
    const taps = new Set<string>();
    const ids = new Map<number, string>();
    const idName = cfg.encap === "gre" ? "GRE key" : "VNI";
    const useId = (id: number, where: string, path: (string | number)[]): void => {
      const other = ids.get(id);
      if (other !== undefined) ctx.addIssue({ code: "custom", path, message: `${idName} ${id} is used twice (${other} and ${where})` });
      else ids.set(id, where);
    };
    cfg.segments.forEach((s, i) => {
      if (taps.has(s.tap)) ctx.addIssue({ code: "custom", path: ["segments", i, "tap"], message: `TAP ${s.tap} is used by two segments` });
      taps.add(s.tap);
      if (s.trunk === true || s.vlans !== undefined) {
        checkTrunk(s, i, cfg.encap, useId, ctx);
        return;
      }
      const id = cfg.encap === "gre" ? (s.key ?? 0) : s.vni;
      if (cfg.encap === "vxlan" && s.vni === undefined) ctx.addIssue({ code: "custom", path: ["segments", i, "vni"], message: "a VXLAN segment needs a vni" });
      if (cfg.encap === "gre" && s.vni !== undefined) ctx.addIssue({ code: "custom", path: ["segments", i, "vni"], message: "vni is VXLAN's; a GRE segment is identified by its key" });
      if (cfg.encap === "vxlan" && s.key !== undefined) ctx.addIssue({ code: "custom", path: ["segments", i, "key"], message: "key is GRE's; a VXLAN segment is identified by its vni" });
      // "No key" and key 0 are one segment on receipt (as in Open vSwitch), so name it so.
      if (id !== undefined) useId(id, cfg.encap === "gre" && s.key === undefined ? `segments.${i} without a key` : `segments.${i}`, ["segments", i]);
    });
    checkStaticFdb(cfg.fdb, ids, idName, localFamily, ctx);
    checkEncryption(cfg, ids, idName, ctx);
  });

/** Encryption names existing segments, and leaves out what it cannot carry (yet). */
function checkEncryption(cfg: { encryption?: z.infer<typeof EncryptionSchema>; group?: string; greChecksum: boolean }, ids: Map<number, string>, idName: string, ctx: Issues): void {
  const e = cfg.encryption;
  if (e === undefined) return;
  e.segments?.forEach((id, i) => {
    if (!ids.has(id)) ctx.addIssue({ code: "custom", path: ["encryption", "segments", i], message: `no segment has ${idName} ${id}` });
  });
  // Peers learned from traffic would be made before a packet verified: configure peers instead.
  if (cfg.group !== undefined) ctx.addIssue({ code: "custom", path: ["encryption"], message: "encryption needs configured peers; multicast group mode learns them from unauthenticated traffic" });
  if (cfg.greChecksum) ctx.addIssue({ code: "custom", path: ["greChecksum"], message: "a GRE checksum adds nothing to an encrypted segment (the AEAD tag covers it): leave greChecksum off" });
}

/** Each static entry names a segment, and exactly one of dst (a peer address) or dev (a TAP); no (vni, mac) twice. */
function checkStaticFdb(entries: z.infer<typeof StaticFdbSchema>[], ids: Map<number, string>, idName: string, family: number, ctx: Issues): void {
  const seen = new Set<string>();
  entries.forEach((e, i) => {
    if (!ids.has(e.vni)) ctx.addIssue({ code: "custom", path: ["fdb", i, "vni"], message: `no segment has ${idName} ${e.vni}` });
    if ((e.dst === undefined) === (e.dev === undefined)) ctx.addIssue({ code: "custom", path: ["fdb", i], message: "give exactly one of dst (a peer address) or dev (a TAP)" });
    if (e.dst !== undefined && isIP(e.dst) !== family) ctx.addIssue({ code: "custom", path: ["fdb", i, "dst"], message: `${e.dst} is not the same IP family as local` });
    const key = `${e.vni}/${e.mac.toLowerCase()}`;
    if (seen.has(key)) ctx.addIssue({ code: "custom", path: ["fdb", i], message: `${e.mac} in ${idName} ${e.vni} is listed twice` });
    seen.add(key);
  });
}

type Issues = { addIssue(issue: { code: "custom"; path: (string | number)[]; message: string }): void };

/** A trunk segment: trunk true, a non-empty vlans map of VLAN 1..4094 -> id, no vni/key/address. */
function checkTrunk(
  s: z.infer<typeof SegmentSchema>,
  i: number,
  encap: "vxlan" | "gre",
  useId: (id: number, where: string, path: (string | number)[]) => void,
  ctx: Issues,
): void {
  const at = (...rest: (string | number)[]): (string | number)[] => ["segments", i, ...rest];
  if (s.trunk !== true) ctx.addIssue({ code: "custom", path: at("trunk"), message: "vlans belong to a trunk segment: add trunk: true" });
  if (s.vlans === undefined || Object.keys(s.vlans).length === 0) {
    ctx.addIssue({ code: "custom", path: at("vlans"), message: 'a trunk segment maps at least one VLAN to a segment id, e.g. vlans: { "100": 1000 }' });
    return;
  }
  const idName = encap === "gre" ? "key" : "vni";
  if (s.vni !== undefined || s.key !== undefined) {
    ctx.addIssue({ code: "custom", path: at(s.vni !== undefined ? "vni" : "key"), message: `a trunk segment takes its ${idName}s from vlans, one per VLAN` });
  }
  if (s.address !== undefined) {
    ctx.addIssue({ code: "custom", path: at("address"), message: "a trunk carries tagged frames only; put addresses on VLAN interfaces of the bridge" });
  }
  const seen = new Map<number, string>();
  for (const [text, id] of Object.entries(s.vlans)) {
    const vlan = /^\d{1,4}$/.test(text) ? Number(text) : NaN;
    if (!(vlan >= MIN_TRUNK_VLAN && vlan <= MAX_TRUNK_VLAN)) {
      ctx.addIssue({ code: "custom", path: at("vlans", text), message: `VLAN "${text}" is not a VLAN id ${MIN_TRUNK_VLAN}..${MAX_TRUNK_VLAN}` });
      continue;
    }
    const dup = seen.get(vlan);
    if (dup !== undefined) ctx.addIssue({ code: "custom", path: at("vlans", text), message: `VLAN ${vlan} is listed twice ("${dup}" and "${text}")` });
    seen.set(vlan, text);
    if (encap === "vxlan" && id > 0xffffff) {
      ctx.addIssue({ code: "custom", path: at("vlans", text), message: `VNI ${id} of VLAN ${vlan} is out of range (24 bits: 0..16777215)` });
      continue;
    }
    useId(id, `VLAN ${vlan} of ${s.tap}`, at("vlans", text));
  }
}

export type Config = z.infer<typeof ConfigSchema>;
export type SegmentConfig = z.infer<typeof SegmentSchema>;

/** One segment as a local port sees it: a TAP (with a VLAN on a trunk) carrying one VNI / GRE key. */
export interface SegmentPort {
  /** VNI (VXLAN) or GRE key (0 when a GRE segment has none). */
  id: number;
  tap: string;
  /** 802.1Q VLAN on a trunk TAP; 0 on an access TAP. */
  vlan: number;
  /** Index into cfg.segments. */
  segment: number;
}

/** Every (TAP, VLAN) -> segment id of a validated config, trunk VLANs in ascending order. */
export function segmentPorts(cfg: Config): SegmentPort[] {
  const out: SegmentPort[] = [];
  cfg.segments.forEach((s, segment) => {
    if (s.trunk === true && s.vlans !== undefined) {
      const vlans = Object.entries(s.vlans).map(([vlan, id]) => ({ vlan: Number(vlan), id })).sort((a, b) => a.vlan - b.vlan);
      for (const { vlan, id } of vlans) out.push({ id, tap: s.tap, vlan, segment });
    } else {
      out.push({ id: cfg.encap === "gre" ? (s.key ?? 0) : s.vni!, tap: s.tap, vlan: 0, segment });
    }
  });
  return out;
}

/** A configuration error with every problem on its own line, as `path: message`. */
export class ConfigError extends Error {
  constructor(readonly problems: string[], source: string) {
    super(`invalid configuration (${source}):\n  ${problems.join("\n  ")}`);
    this.name = "ConfigError";
  }
}

export function validateConfig(input: unknown, source = "command line"): Config {
  const result = ConfigSchema.safeParse(input);
  if (result.success) return result.data;
  // One line per unknown key, named with its place (`segments[0].brige: unknown key`), so a typo is found at once.
  const problems = result.error.issues.flatMap((issue) =>
    issue.code === "unrecognized_keys"
      ? issue.keys.map((key) => `${formatConfigPath([...issue.path, key])}: unknown key`)
      : [`${formatConfigPath(issue.path)}: ${issue.message}`],
  );
  throw new ConfigError(problems, source);
}

export function loadConfigFile(path: string): Config {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new ConfigError([`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`], path);
  }
  return validateConfig(path.endsWith(".json") ? parseJson(text, path) : parseYamlConfig(text, path), path);
}

function parseJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new ConfigError([`not valid JSON: ${(err as Error).message}`], source);
  }
}

function parseYamlConfig(text: string, source: string): unknown {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) throw new ConfigError(doc.errors.map((e) => `not valid YAML: ${e.message}`), source);
  const odd = nonDecimalNumbers(doc, text);
  if (odd.length > 0) throw new ConfigError(odd, source);
  return doc.toJS() as unknown;
}

/** Whether segment id is sealed by this configuration. */
export function segmentEncrypted(cfg: Config, id: number): boolean {
  return cfg.encryption !== undefined && (cfg.encryption.segments === undefined || cfg.encryption.segments.includes(id));
}
