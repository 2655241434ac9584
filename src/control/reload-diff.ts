// What a reload changes: the difference between the running configuration and the file's, or why it needs a restart.
import type { Config } from "./config.js";
import { parseMac } from "../wire/mac.js";

export type StaticFdbEntry = Config["fdb"][number];

export interface ReloadDiff {
  peersAdded: string[];
  peersRemoved: string[];
  /** New entries, and entries whose dst/dev changed (adding replaces). */
  fdbAdded: StaticFdbEntry[];
  fdbRemoved: StaticFdbEntry[];
  ageing?: { from: number; to: number };
}

/** A configuration that validates but differs where the running switch cannot change without a restart. */
export class ReloadRefused extends Error {
  constructor(readonly reasons: string[]) {
    super(`reload refused, the running state is kept: ${reasons.join("; ")}`);
    this.name = "ReloadRefused";
  }
}

/** Keys applied at run time. */
const APPLIED = new Set<string>(["peers", "fdb", "ageing"]);

/** Why a key cannot change in a running switch, for those where the reason is not the generic one. */
const RESTART_REASONS: Record<string, string> = {
  segments: "segments (TAPs, bridges, VNIs, MTUs, trunks) need new devices",
  local: "the local address is where the tunnel sockets are bound",
  port: "the UDP port is where the tunnel socket is bound",
  encap: "the encapsulation decides which sockets are open",
  io: "the I/O mode decides which sockets are open",
  maxAddresses: "maxAddresses sizes each segment's MAC table when it is made",
  batch: "the batch size sizes the loops' buffers",
  offloads: "offloads are negotiated when the TAPs open",
  group: "the multicast group is joined when the sockets open",
  control: "the control socket is the one this reload came through",
  floodRateLimit: "flood limits are set up with the segments",
  encryption: "keys and sealed segments are set up when the switch starts",
};

export const emptyDiff = (): ReloadDiff => ({ peersAdded: [], peersRemoved: [], fdbAdded: [], fdbRemoved: [] });

const fdbKey = (e: StaticFdbEntry): string => `${e.vni}/${parseMac(e.mac)}`;
const sameTarget = (a: StaticFdbEntry, b: StaticFdbEntry): boolean => a.dst === b.dst && a.dev === b.dev;

/** The changes from `running` to `next` (both validated); throws ReloadRefused naming every key that needs a restart. */
export function diffConfigs(running: Config, next: Config): ReloadDiff {
  const keys = new Set([...Object.keys(running), ...Object.keys(next)]) as Set<keyof Config>;
  const refused: string[] = [];
  for (const key of keys) {
    if (APPLIED.has(key) || JSON.stringify(running[key]) === JSON.stringify(next[key])) continue;
    refused.push(`${key} changed (${RESTART_REASONS[key] ?? "it is fixed when the switch starts"}); restart vxswitch to change it`);
  }
  if (refused.length > 0) throw new ReloadRefused(refused);
  const diff = emptyDiff();
  const before = new Set(running.peers);
  const after = new Set(next.peers);
  diff.peersAdded = next.peers.filter((p) => !before.has(p));
  diff.peersRemoved = running.peers.filter((p) => !after.has(p));
  const oldFdb = new Map(running.fdb.map((e) => [fdbKey(e), e]));
  const newFdb = new Map(next.fdb.map((e) => [fdbKey(e), e]));
  diff.fdbRemoved = [...oldFdb].filter(([k]) => !newFdb.has(k)).map(([, e]) => e);
  // Removing a peer removes every entry naming it, so entries the file keeps toward it are made again.
  const removedPeers = new Set(diff.peersRemoved);
  diff.fdbAdded = [...newFdb]
    .filter(([k, e]) => {
      const old = oldFdb.get(k);
      return old === undefined || !sameTarget(old, e) || (e.dst !== undefined && removedPeers.has(e.dst));
    })
    .map(([, e]) => e);
  if (running.ageing !== next.ageing) diff.ageing = { from: running.ageing, to: next.ageing };
  return diff;
}
