// Membership through etcd: registers this switch, turns the registered hosts into per-VNI flood peers, publishes and installs MACs.
import type { Config } from "../config.js";
import type { MembershipReport, MembershipStatus, PeerMembership } from "../../dataplane/membership-report.js";
import { EtcdSession } from "./etcd-session.js";
import { interfaceOfAddress } from "../../io/underlay.js";
import { encodeHost, encodeMacs, hostKey, macsKey, normalizePrefix } from "./records.js";
import { macChanges, MembershipView, peerChanges, type FloodPlan, type LocalSide, type MacPlan } from "./view.js";

export type EtcdConfig = NonNullable<NonNullable<Config["membership"]>["etcd"]>;

/** What membership changes in the switch: SwitchInstance's run-time peer and FDB methods. */
export interface MembershipTarget {
  addFloodPeer(address: string, vni?: number): string;
  removeFloodPeer(address: string, vni?: number): { fdbEntriesRemoved: number };
  hasPeer(address: string): boolean;
  localMacs(vni: number, max: number): string[];
  installRemoteMac(vni: number, mac: string, address: string): boolean;
  withdrawRemoteMac(vni: number, mac: string, address: string): boolean;
}

/** Installed remote MACs are learned entries: learn them again this often so they do not age out while published. */
const MAC_REFRESH_MS = 30_000;

export class EtcdMembership implements MembershipReport {
  readonly prefix: string;
  readonly #view: MembershipView;
  readonly #session: EtcdSession;
  /** Peers membership made, with the VNIs they flood in. */
  readonly #owned = new Map<string, Set<number>>();
  /** Registered hosts that were peers already (configured): left as they are, and said once. */
  readonly #foreign = new Set<string>();
  #installed: MacPlan = new Map();
  /** Per local VNI, the MAC list last written (sorted, joined); cleared when a new lease needs them written again. */
  readonly #published = new Map<number, string>();
  #state: MembershipStatus["state"] = "connecting";
  #since = new Date();
  #reason: string | undefined;
  #applyQueued = false;
  #publishing = false;
  #publishTimer: NodeJS.Timeout | undefined;
  #refreshTimer: NodeJS.Timeout | undefined;
  #lastFlood: FloodPlan = new Map();

  constructor(private readonly cfg: EtcdConfig, private readonly local: LocalSide, private readonly target: MembershipTarget, private readonly log: (line: string) => void) {
    this.prefix = normalizePrefix(cfg.prefix);
    this.#view = new MembershipView(this.prefix, cfg.maxMacsPerVni);
    const record = { address: local.address, port: local.encap === "gre" ? 0 : local.port, encap: local.encap, vnis: [...local.vnis].sort((a, b) => a - b) };
    this.#session = new EtcdSession({
      endpoints: cfg.endpoints,
      prefix: this.prefix,
      leaseSeconds: cfg.leaseSeconds,
      tls: cfg.tls,
      registration: { key: hostKey(this.prefix, local.address), value: encodeHost(record) },
    }, {
      snapshot: (kvs) => {
        this.#view.clear();
        for (const kv of kvs) this.#view.put(kv.key, kv.value, kv.revision);
        // A new lease: our MAC lists are written again under it.
        this.#published.clear();
        this.#queueApply();
      },
      put: (key, value, revision) => {
        if (this.#view.put(key, value, revision)) this.#queueApply();
      },
      delete: (key) => {
        if (this.#view.delete(key)) this.#queueApply();
      },
      state: (state, reason) => this.#setState(state, reason),
    });
  }

  /**
   * Registers and takes the first snapshot, waiting at most waitMs: a switch whose etcd is down
   * starts anyway (static peers work) and joins when etcd answers.
   */
  async start(waitMs: number): Promise<void> {
    if (interfaceOfAddress(this.local.address) === undefined) {
      throw new Error(`etcd membership: ${this.local.address} is not an address of this host; a switch registers only its own underlay address`);
    }
    const first = this.#session.start();
    first.catch(() => undefined);
    const timeout = new Promise<"timeout">((resolve) => setTimeout(() => resolve("timeout"), waitMs).unref());
    const outcome = await Promise.race([first.then(() => "ok" as const, (err: unknown) => err), timeout]);
    if (outcome === "ok") this.#applyNow();
    else this.log(`etcd ${this.cfg.endpoints.join(",")} not reachable yet (${outcome === "timeout" ? `no answer in ${waitMs} ms` : this.#reason ?? String(outcome)}); starting with the configured peers, joining when it answers`);
    if (this.cfg.publishMacs) {
      this.#publishTimer = setInterval(() => void this.#publish(), this.cfg.publishIntervalMs);
      this.#publishTimer.unref();
      this.#refreshTimer = setInterval(() => this.#refreshMacs(), MAC_REFRESH_MS);
      this.#refreshTimer.unref();
    }
  }

  #setState(state: "connected" | "unreachable", reason?: string): void {
    if (state === "unreachable") this.#reason = reason;
    if (state === this.#state) return;
    const was = this.#state;
    const since = this.#since;
    this.#state = state;
    this.#since = new Date();
    if (state === "unreachable") {
      this.log(`etcd unreachable: ${reason ?? "unknown"}; forwarding goes on with the last known membership (${this.#view.hostCount} hosts), reconnecting`);
    } else {
      this.#reason = undefined;
      this.log(was === "unreachable" ? `etcd reachable again after ${((Date.now() - since.getTime()) / 1000).toFixed(1)} s` : `etcd connected: ${this.#view.hostCount} hosts registered`);
    }
  }

  /** Events come in bursts (a snapshot, a host's MAC lists): apply once per turn of the event loop. */
  #queueApply(): void {
    if (this.#applyQueued) return;
    this.#applyQueued = true;
    setImmediate(() => {
      this.#applyQueued = false;
      this.#applyNow();
    });
  }

  #applyNow(): void {
    for (const why of this.#view.refused.splice(0)) this.log(`etcd membership: ignored ${why}`);
    const flood = this.#view.floodPlan(this.local);
    this.#lastFlood = flood;
    const changes = peerChanges(flood, this.#owned);
    for (const address of changes.drop) this.#try(`remove peer ${address}`, () => {
      this.#owned.delete(address);
      this.#forgetInstalled(address);
      this.target.removeFloodPeer(address);
    });
    for (const [address, vni] of changes.leave) this.#try(`remove peer ${address} from segment ${vni}`, () => {
      this.#owned.get(address)?.delete(vni);
      this.#forgetInstalled(address, vni);
      this.target.removeFloodPeer(address, vni);
    });
    for (const [address, vni] of changes.add) {
      if (!this.#owned.has(address) && this.target.hasPeer(address)) {
        if (!this.#foreign.has(address)) this.log(`etcd host ${address} is a configured peer already; left as configured`);
        this.#foreign.add(address);
        continue;
      }
      this.#try(`add peer ${address} to segment ${vni}`, () => {
        this.target.addFloodPeer(address, vni);
        let vnis = this.#owned.get(address);
        if (vnis === undefined) this.#owned.set(address, (vnis = new Set()));
        vnis.add(vni);
      });
    }
    for (const a of this.#foreign) if (![...flood.values()].some((s) => s.has(a))) this.#foreign.delete(a);
    if (this.cfg.publishMacs) this.#applyMacs(flood);
  }

  #applyMacs(flood: FloodPlan): void {
    const plan = this.#view.macPlan(flood);
    const changes = macChanges(plan, this.#installed);
    for (const [vni, mac, address] of changes.withdraw) this.target.withdrawRemoteMac(vni, mac, address);
    // The plan was made for this call: it becomes what is installed, less what the switch refused.
    for (const [vni, mac, address] of changes.install) {
      if (!this.target.installRemoteMac(vni, mac, address)) plan.get(vni)?.delete(mac);
    }
    this.#installed = plan;
  }

  /** Installed MACs of a peer that went (its FDB entries went with it). */
  #forgetInstalled(address: string, vni?: number): void {
    for (const [v, macs] of this.#installed) {
      if (vni !== undefined && v !== vni) continue;
      for (const [mac, a] of macs) if (a === address) macs.delete(mac);
    }
  }

  #refreshMacs(): void {
    for (const [vni, macs] of this.#installed) for (const [mac, address] of macs) this.target.installRemoteMac(vni, mac, address);
  }

  /** Reads the local FDB and writes the MAC lists that changed; one write per changed VNI, never per packet. */
  async #publish(): Promise<void> {
    if (this.#publishing || this.#state !== "connected") return;
    this.#publishing = true;
    try {
      for (const vni of this.local.vnis) {
        const macs = this.target.localMacs(vni, this.cfg.maxMacsPerVni).sort();
        const text = macs.join(",");
        if (this.#published.get(vni) === text) continue;
        if (await this.#session.putLeased(macsKey(this.prefix, this.local.address, vni), encodeMacs(macs))) this.#published.set(vni, text);
      }
    } finally {
      this.#publishing = false;
    }
  }

  #try(what: string, change: () => void): void {
    try {
      change();
    } catch (err) {
      this.log(`etcd membership: cannot ${what}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  status(): MembershipStatus {
    const floodPeers: Record<string, string[]> = {};
    for (const [vni, addresses] of this.#lastFlood) floodPeers[String(vni)] = [...addresses].sort();
    let macsInstalled = 0;
    for (const m of this.#installed.values()) macsInstalled += m.size;
    let macsPublished = 0;
    for (const text of this.#published.values()) macsPublished += text === "" ? 0 : text.split(",").length;
    return {
      backend: "etcd",
      endpoints: this.cfg.endpoints,
      prefix: this.prefix,
      state: this.#state,
      since: this.#since.toISOString(),
      ...(this.#state !== "connected" && this.#reason !== undefined ? { reason: this.#reason } : {}),
      leaseSeconds: this.cfg.leaseSeconds,
      hosts: this.#view.hostCount,
      incompatible: this.#view.incompatible(this.local),
      floodPeers,
      publishMacs: this.cfg.publishMacs,
      macsPublished,
      macsInstalled,
      requests: this.#session.requests,
      watchEvents: this.#session.watchEvents,
      reconnects: this.#session.reconnects,
    };
  }

  peerInfo(address: string): PeerMembership | undefined {
    const vnis = this.#owned.get(address);
    if (vnis === undefined) return undefined;
    return {
      source: "etcd",
      vnis: [...vnis].sort((a, b) => a - b),
      ...(this.#state === "unreachable" ? { held: { since: this.#since.toISOString(), reason: this.#reason ?? "unknown" } } : {}),
    };
  }

  /** Stops; with revoke (a clean stop) this host leaves the others' peer lists at once. */
  async close(revoke: boolean): Promise<void> {
    if (this.#publishTimer !== undefined) clearInterval(this.#publishTimer);
    if (this.#refreshTimer !== undefined) clearInterval(this.#refreshTimer);
    await this.#session.close(revoke);
  }
}
