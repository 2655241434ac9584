// Reload: re-read the config file, refuse what does not validate or needs a restart, apply only the difference.
import { ConfigError, loadConfigFile, type Config } from "./config.js";
import { diffConfigs, emptyDiff, type ReloadDiff, type StaticFdbEntry } from "./reload-diff.js";
import { parseMac } from "../wire/mac.js";

/** What a reload changes in a running switch; SwitchInstance is one. */
export interface ReloadTarget {
  addFloodPeer(address: string, vni?: number): unknown;
  removeFloodPeer(address: string, vni?: number): unknown;
  addStaticEntry(id: number, mac: number, dst?: string, dev?: string): void;
  removeFdbEntry(id: number, mac: number): boolean;
  setAgeing(seconds: number): void;
}

export interface ReloadResult {
  changes: string[];
  /** Changes that failed (the rest were applied). */
  failed: string[];
}

/** One change: the line that names it (for the log and the `reload` answer) and what it asks of the switch. */
interface Step {
  what: string;
  apply: (target: ReloadTarget) => unknown;
}

/**
 * A diff as steps, in the order that never leaves a frame without a path it had: peers that went
 * first (their entries go with them), then new peers, then stale entries, then the entries that
 * may name the new peers; the ageing last.
 */
function stepsOf(d: ReloadDiff): Step[] {
  const entry = (e: StaticFdbEntry): string => `${e.mac} vni ${e.vni} ${e.dst !== undefined ? `dst ${e.dst}` : `dev ${e.dev}`}`;
  const ageing = d.ageing;
  return [
    ...d.peersRemoved.map((p): Step => ({ what: `peer ${p} removed`, apply: (t) => t.removeFloodPeer(p) })),
    ...d.peersAdded.map((p): Step => ({ what: `peer ${p} added`, apply: (t) => t.addFloodPeer(p) })),
    ...d.fdbRemoved.map((e): Step => ({ what: `fdb ${entry(e)} removed`, apply: (t) => t.removeFdbEntry(e.vni, parseMac(e.mac)) })),
    ...d.fdbAdded.map((e): Step => ({ what: `fdb ${entry(e)} added`, apply: (t) => t.addStaticEntry(e.vni, parseMac(e.mac), e.dst, e.dev) })),
    ...(ageing !== undefined ? [{ what: `ageing ${ageing.from} s -> ${ageing.to} s`, apply: (t: ReloadTarget) => t.setAgeing(ageing.to) }] : []),
  ];
}

/**
 * Applies a diff step by step (see stepsOf for the order). A step that fails is reported and the
 * others still run: the file is what the switch converges to.
 */
export function applyDiff(target: ReloadTarget, diff: ReloadDiff): ReloadResult {
  const result: ReloadResult = { changes: [], failed: [] };
  for (const { what, apply } of stepsOf(diff)) {
    try {
      apply(target);
      result.changes.push(what);
    } catch (err) {
      result.failed.push(`${what}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return result;
}

/** The static entries of a config, applied when the switch starts. */
export function applyStaticFdb(target: ReloadTarget, entries: StaticFdbEntry[]): ReloadResult {
  return applyDiff(target, { ...emptyDiff(), fdbAdded: entries });
}

/** Keeps the configuration the switch runs and moves it to the file's on each reload. */
export class Reloader {
  #running: Config;

  /** path: the -c FILE (undefined: started from flags, nothing to re-read); control: a --control given beside -c. */
  constructor(private readonly path: string | undefined, running: Config, private readonly target: ReloadTarget, private readonly control?: string) {
    this.#running = running;
  }

  get running(): Config {
    return this.#running;
  }

  /** Throws (ConfigError, ReloadRefused) with the running state untouched; otherwise applies the difference. */
  reload(): ReloadResult {
    if (this.path === undefined) throw new Error("vxswitch was started from flags, not with -c FILE: there is no file to re-read");
    let next: Config;
    try {
      next = loadConfigFile(this.path);
    } catch (err) {
      if (err instanceof ConfigError) throw new Error(`reload refused, the running state is kept: invalid configuration in ${this.path}: ${err.problems.join("; ")}`);
      throw err;
    }
    if (this.control !== undefined) next = { ...next, control: this.control };
    const diff = diffConfigs(this.#running, next);
    const result = applyDiff(this.target, diff);
    this.#running = next;
    return result;
  }
}
