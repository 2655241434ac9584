// The library API: start a switch from a config object, read its status, FDB and counters, change its
// peers and FDB entries, reload, stop. The CLI and the control socket go through exactly this.
import { validateConfig, type Config } from "../control/config.js";
import { EtcdMembership } from "../control/membership/etcd-membership.js";
import { startMetrics } from "../control/metrics-server.js";
import { plan, type Plan } from "../control/plan.js";
import { applyStaticFdb, Reloader, type ReloadResult } from "../control/reload.js";
import { SwitchInstance } from "../dataplane/instance.js";
import type { InstanceStatus } from "../dataplane/status.js";
import type { DataplaneStats } from "../dataplane/stats.js";
import type { NativeIoCounters } from "../io/native.js";
import type { DebugView } from "../debug/trace-view.js";
import { parseMac } from "../wire/mac.js";
import { fdbRows, type FdbRow } from "./fdb-rows.js";
import { switchCounters, type SwitchCounters } from "./counters.js";

/** How long start waits for etcd's first answer before going on without it (it joins when etcd answers). */
const ETCD_START_WAIT_MS = 3000;

export interface StartOptions {
  /** Where progress lines go (default: nowhere). */
  log?: (line: string) => void;
  /** The file the config came from: reload() re-reads it. */
  configPath?: string;
  /** ADDR:PORT of a Prometheus endpoint; overrides config.metrics. */
  metrics?: string;
}

/** Where a static FDB entry points: a peer's underlay address, or a local TAP ("TAP" or "TAP.VLAN"). */
export type FdbTarget = { dst: string; dev?: undefined } | { dev: string; dst?: undefined };

/** A running switch. Everything `vxswitch` does to a switch, it does through these methods. */
export class Switch {
  #stopped = false;

  private constructor(
    readonly config: Config,
    readonly plan: Plan,
    private readonly instance: SwitchInstance,
    private readonly reloader: Reloader,
    private readonly membership: EtcdMembership | undefined,
    private readonly closeMetrics: (() => void) | undefined,
  ) {}

  /**
   * Validates `config` (a config object as a YAML/JSON file holds it), opens the TAPs, bridges and
   * tunnel sockets and starts switching. Throws a ConfigError for a bad config; anything opened
   * before a failure is closed again.
   */
  static async start(config: unknown, options: StartOptions = {}): Promise<Switch> {
    const cfg = validateConfig(config, options.configPath ?? "config object");
    const log = options.log ?? ((): void => {});
    const p = plan(cfg);
    const instance = new SwitchInstance(p, log);
    const etcd = cfg.membership?.etcd;
    const membership = etcd === undefined ? undefined
      : new EtcdMembership(etcd, { address: cfg.local, encap: cfg.encap, port: cfg.port, vnis: p.segments.map((s) => s.id) }, instance, log);
    let closeMetrics: (() => void) | undefined;
    try {
      await instance.start();
      const statics = applyStaticFdb(instance, cfg.fdb);
      if (statics.failed.length > 0) throw new Error(`static FDB entries: ${statics.failed.join("; ")}`);
      if (membership !== undefined) {
        instance.membership = membership;
        await membership.start(ETCD_START_WAIT_MS);
      }
      const metrics = await startMetrics(options.metrics ?? cfg.metrics, instance, log);
      closeMetrics = metrics === undefined ? undefined : () => metrics.close();
    } catch (err) {
      instance.close();
      await membership?.close(false);
      throw err;
    }
    return new Switch(cfg, p, instance, new Reloader(options.configPath, cfg, instance, cfg.control), membership, closeMetrics);
  }

  /** Settings, offloads, TAPs, peers and what group mode, membership, busy polling and encryption did. */
  status(): InstanceStatus {
    return this.instance.status();
  }

  /** FDB entries shaped like `bridge -j fdb show` rows; filtered by segment or by TAP. */
  fdb(filter: { vni?: number; dev?: string } = {}): FdbRow[] {
    return fdbRows(this.instance, filter);
  }

  /** Frames, bytes and drops per direction and reason, per segment, FDB, peers and the addon's I/O errors. */
  counters(): SwitchCounters {
    return switchCounters(this.instance);
  }

  /** A flood peer of every segment, or of segment vni only. Returns where it floods. */
  addPeer(address: string, vni?: number): string {
    return this.instance.addFloodPeer(address, vni);
  }

  /** Without vni the peer goes entirely (with its FDB entries); with vni it leaves that segment's flood list. */
  removePeer(address: string, vni?: number): { fdbEntriesRemoved: number } {
    return this.instance.removeFloodPeer(address, vni);
  }

  /** A static entry: MAC ("aa:bb:cc:dd:ee:ff") in segment vni behind a peer address (unicast only if it is no peer yet) or a TAP. */
  addFdbEntry(vni: number, mac: string, target: FdbTarget): void {
    this.instance.addStaticEntry(vni, parseMac(mac), target.dst, target.dev);
  }

  /** Removes one entry, static or learned; false when there was none. */
  removeFdbEntry(vni: number, mac: string): boolean {
    return this.instance.removeFdbEntry(vni, parseMac(mac));
  }

  /** Forgets every learned entry (static ones stay); returns how many went. */
  flushFdb(): number {
    return this.instance.flushLearned();
  }

  /** Re-reads the config file and applies only the difference; an invalid file is refused and the running state kept. */
  reload(): ReloadResult {
    return this.reloader.reload();
  }

  /** The tables, counters and observer taps that capture and trace read. */
  debugView(): DebugView {
    return this.instance.debugView();
  }

  /** The loops' running counters, read in place (what `counters()` copies into JSON); for watching them often. */
  get stats(): DataplaneStats {
    return this.instance.stats;
  }

  /** What the addon counted instead of throwing: failed reads/writes/sends, oversize frames, GSO fallbacks. */
  ioCounters(): NativeIoCounters {
    return this.instance.ioCounters();
  }

  /** Captures and traces attached now. */
  get observerCount(): number {
    return this.instance.observers.count;
  }

  /** Which socket I/O runs: "batch" (native) or "dgram" (the fallback). */
  get io(): string {
    return this.instance.io;
  }

  /**
   * Stops switching, closes every fd (the TAPs go with them), removes the bridges it made and,
   * with etcd membership, revokes its lease (leave = true) so peers drop it at once.
   */
  async stop(leave = true): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.closeMetrics?.();
    this.instance.close();
    await this.membership?.close(leave);
  }
}
