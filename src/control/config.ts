// The vxswitch configuration: zod schema, file loading (YAML/JSON) and errors a person can act on.
import { readFileSync } from "node:fs";
import { isIP } from "node:net";
import { parse as parseYaml } from "yaml";
import { z } from "zod";

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

export const SegmentSchema = z.object({
  vni: z.number().int().min(0).max(0xffffff, "VNI is 24 bits: 0..16777215").optional(),
  key: z.number().int().min(0).max(0xffffffff, "GRE key is 32 bits").optional(),
  tap: ifName,
  bridge: ifName.optional(),
  address: cidr.optional(),
  mtu: z.number().int().min(68).max(65535).optional(),
});

export const ConfigSchema = z
  .object({
    local: ipAddress,
    port: z.number().int().min(1).max(65535).default(4789),
    encap: z.enum(["vxlan", "gre"]).default("vxlan"),
    io: z.enum(["auto", "batch", "dgram"]).default("auto"),
    peers: z.array(ipAddress).default([]),
    ageing: z.number().int().min(0).default(300),
    maxAddresses: z.number().int().min(1).default(65536),
    batch: z.number().int().min(1).max(1024).default(64),
    underlayMtu: z.number().int().min(576).max(65535).optional(),
    control: z.string().optional(),
    segments: z.array(SegmentSchema).min(1, "at least one segment (vni + tap) is needed"),
  })
  .strict()
  .superRefine((cfg, ctx) => {
    const localFamily = isIP(cfg.local);
    cfg.peers.forEach((p, i) => {
      if (isIP(p) !== localFamily) ctx.addIssue({ code: "custom", path: ["peers", i], message: `peer ${p} is not the same IP family as local ${cfg.local}` });
      if (p === cfg.local) ctx.addIssue({ code: "custom", path: ["peers", i], message: `peer ${p} is the local address` });
    });
    const taps = new Set<string>();
    const ids = new Set<number>();
    cfg.segments.forEach((s, i) => {
      if (taps.has(s.tap)) ctx.addIssue({ code: "custom", path: ["segments", i, "tap"], message: `TAP ${s.tap} is used by two segments` });
      taps.add(s.tap);
      const id = cfg.encap === "gre" ? (s.key ?? 0) : s.vni;
      if (cfg.encap === "vxlan" && s.vni === undefined) ctx.addIssue({ code: "custom", path: ["segments", i, "vni"], message: "a VXLAN segment needs a vni" });
      if (cfg.encap === "gre" && s.vni !== undefined) ctx.addIssue({ code: "custom", path: ["segments", i, "vni"], message: "vni is VXLAN's; a GRE segment is identified by its key" });
      if (id !== undefined) {
        if (ids.has(id)) ctx.addIssue({ code: "custom", path: ["segments", i], message: `segment id ${id} is used twice` });
        ids.add(id);
      }
    });
  });

export type Config = z.infer<typeof ConfigSchema>;
export type SegmentConfig = z.infer<typeof SegmentSchema>;

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
  const problems = result.error.issues.map((issue) => {
    const path = issue.path.length > 0 ? issue.path.join(".") : "(top level)";
    return `${path}: ${issue.message}`;
  });
  throw new ConfigError(problems, source);
}

export function loadConfigFile(path: string): Config {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new ConfigError([`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`], path);
  }
  let data: unknown;
  try {
    data = path.endsWith(".json") ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new ConfigError([`not valid ${path.endsWith(".json") ? "JSON" : "YAML"}: ${(err as Error).message}`], path);
  }
  return validateConfig(data, path);
}

/** Encapsulation overhead on the underlay: outer IP + UDP/GRE + tunnel header + inner Ethernet. */
export function encapOverhead(encap: "vxlan" | "gre", family: 4 | 6, greOptions = 0): number {
  const ip = family === 4 ? 20 : 40;
  const inner = 14;
  return encap === "vxlan" ? ip + 8 + 8 + inner : ip + 4 + 4 * greOptions + inner;
}

/** Overlay MTU derived from the underlay MTU: 1450 for VXLAN over a 1500-byte IPv4 underlay. */
export function overlayMtu(underlayMtu: number, encap: "vxlan" | "gre", family: 4 | 6, greOptions = 0): number {
  return underlayMtu - encapOverhead(encap, family, greOptions);
}
