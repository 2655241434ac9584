// The membership as etcd last told it (hosts and their published MACs), and what it asks of this switch.
import { decodeHost, decodeMacs, parseKey, type HostRecord } from "./records.js";

interface Versioned<T> {
  value: T;
  /** etcd mod_revision: which of two claims on one MAC is newer. */
  revision: number;
}

/** This switch, as the view needs it to pick its peers. */
export interface LocalSide {
  address: string;
  encap: "vxlan" | "gre";
  port: number;
  vnis: readonly number[];
}

/** Per VNI: the peer addresses to flood to. */
export type FloodPlan = Map<number, Set<string>>;
/** Per VNI: MAC -> the address of the host that has it. */
export type MacPlan = Map<number, Map<string, string>>;

export class MembershipView {
  readonly #hosts = new Map<string, Versioned<HostRecord>>();
  /** "address/vni" -> that host's MACs in that segment. */
  readonly #macs = new Map<string, Versioned<{ address: string; vni: number; macs: string[] }>>();
  /** Values refused (bad JSON, a record claiming another address), with why: for the log, once each. */
  readonly refused: string[] = [];

  constructor(readonly prefix: string, readonly maxMacsPerVni: number) {}

  get hostCount(): number {
    return this.#hosts.size;
  }

  hosts(): HostRecord[] {
    return [...this.#hosts.values()].map((h) => h.value);
  }

  clear(): void {
    this.#hosts.clear();
    this.#macs.clear();
  }

  /** A put from a snapshot or the watch; returns false when the key is not ours or the value was refused. */
  put(key: string, value: string, revision: number): boolean {
    const k = parseKey(this.prefix, key);
    if (k === undefined) return false;
    if (k.kind === "host") {
      const rec = decodeHost(k.address, value);
      if (typeof rec === "string") return this.#refuse(`${key}: ${rec}`);
      this.#hosts.set(k.address, { value: rec, revision });
      return true;
    }
    const macs = decodeMacs(value, this.maxMacsPerVni);
    if (typeof macs === "string") return this.#refuse(`${key}: ${macs}`);
    this.#macs.set(`${k.address}/${k.vni}`, { value: { address: k.address, vni: k.vni, macs }, revision });
    return true;
  }

  delete(key: string): boolean {
    const k = parseKey(this.prefix, key);
    if (k === undefined) return false;
    if (k.kind === "host") return this.#hosts.delete(k.address);
    return this.#macs.delete(`${k.address}/${k.vni}`);
  }

  #refuse(why: string): boolean {
    if (this.refused.length < 100) this.refused.push(why);
    return false;
  }

  /** Hosts this switch can talk to: same encapsulation, same UDP port (VXLAN), not itself. */
  #compatible(local: LocalSide): HostRecord[] {
    return this.hosts().filter((h) => h.address !== local.address && h.encap === local.encap && (local.encap === "gre" || h.port === local.port));
  }

  /** Registered hosts this switch cannot reach as peers (other encapsulation or port). */
  incompatible(local: LocalSide): string[] {
    const ok = new Set(this.#compatible(local).map((h) => h.address));
    return this.hosts().filter((h) => h.address !== local.address && !ok.has(h.address)).map((h) => `${h.address} (${h.encap}${h.encap === "vxlan" ? ` port ${h.port}` : ""})`);
  }

  /** Per local VNI, the hosts that serve it too: a flood reaches only those. */
  floodPlan(local: LocalSide): FloodPlan {
    const plan: FloodPlan = new Map(local.vnis.map((v) => [v, new Set<string>()]));
    for (const h of this.#compatible(local)) {
      for (const v of h.vnis) plan.get(v)?.add(h.address);
    }
    return plan;
  }

  /**
   * Per local VNI, the MACs other hosts published there, from hosts in the flood plan only. A MAC
   * claimed by two hosts (moving) belongs to the newer publication.
   */
  macPlan(flood: FloodPlan): MacPlan {
    const plan: MacPlan = new Map();
    const revisionOf = new Map<string, number>();
    for (const { value, revision } of this.#macs.values()) {
      if (flood.get(value.vni)?.has(value.address) !== true) continue;
      let macs = plan.get(value.vni);
      if (macs === undefined) plan.set(value.vni, (macs = new Map()));
      for (const mac of value.macs) {
        const key = `${value.vni}/${mac}`;
        if ((revisionOf.get(key) ?? -1) > revision) continue;
        revisionOf.set(key, revision);
        macs.set(mac, value.address);
      }
    }
    return plan;
  }
}

/** Peer changes that take `applied` (address -> VNIs it is a flood peer of, by membership) to `plan`. */
export interface PeerChanges {
  /** [address, vni]: add address to segment vni's flood list. */
  add: [string, number][];
  /** [address, vni]: take address out of segment vni only. */
  leave: [string, number][];
  /** Addresses that serve none of our VNIs any more: remove the peer entirely. */
  drop: string[];
}

export function peerChanges(plan: FloodPlan, applied: ReadonlyMap<string, ReadonlySet<number>>): PeerChanges {
  const wanted = new Map<string, Set<number>>();
  for (const [vni, addresses] of plan) {
    for (const a of addresses) {
      let set = wanted.get(a);
      if (set === undefined) wanted.set(a, (set = new Set()));
      set.add(vni);
    }
  }
  const changes: PeerChanges = { add: [], leave: [], drop: [] };
  for (const [address, vnis] of applied) {
    const want = wanted.get(address);
    if (want === undefined) {
      changes.drop.push(address);
      continue;
    }
    for (const v of vnis) if (!want.has(v)) changes.leave.push([address, v]);
  }
  for (const [address, vnis] of wanted) {
    const have = applied.get(address);
    for (const v of [...vnis].sort((a, b) => a - b)) if (have?.has(v) !== true) changes.add.push([address, v]);
  }
  return changes;
}

/** Remote FDB changes: [vni, mac, address] to install (new or moved) and to withdraw (gone). */
export interface MacChanges {
  install: [number, string, string][];
  withdraw: [number, string, string][];
}

export function macChanges(plan: MacPlan, installed: MacPlan): MacChanges {
  const changes: MacChanges = { install: [], withdraw: [] };
  for (const [vni, macs] of installed) {
    const want = plan.get(vni);
    for (const [mac, address] of macs) if (want?.get(mac) !== address) changes.withdraw.push([vni, mac, address]);
  }
  for (const [vni, macs] of plan) {
    const have = installed.get(vni);
    for (const [mac, address] of macs) if (have?.get(mac) !== address) changes.install.push([vni, mac, address]);
  }
  return changes;
}
