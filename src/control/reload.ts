// Reload: re-read the config file, refuse what does not validate or needs a restart, apply only the difference.
import { ConfigError, loadConfigFile, type Config } from "./config.js";
import { describeDiff, diffConfigs, emptyDiff, type ReloadDiff, type StaticFdbEntry } from "./reload-diff.js";
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

/**
 * Applies a diff in the order that never leaves a frame without a path it had: stale entries and
 * peers go first, then new peers, then the entries that may name them. A step that fails is
 * reported and the others still run: the file is what the switch converges to.
 */
export function applyDiff(target: ReloadTarget, diff: ReloadDiff): ReloadResult {
  const result: ReloadResult = { changes: [], failed: [] };
  const step = (what: string, fn: () => unknown): void => {
    try {
      fn();
      result.changes.push(what);
    } catch (err) {
      result.failed.push(`${what}: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
  const lines = describeDiff(diff);
  let i = 0;
  const next = (): string => lines[i++]!;
  for (const p of diff.peersRemoved) step(next(), () => target.removeFloodPeer(p));
  for (const p of diff.peersAdded) step(next(), () => target.addFloodPeer(p));
  for (const e of diff.fdbRemoved) step(next(), () => target.removeFdbEntry(e.vni, parseMac(e.mac)));
  for (const e of diff.fdbAdded) step(next(), () => addEntry(target, e));
  if (diff.ageing !== undefined) step(next(), () => target.setAgeing(diff.ageing!.to));
  return result;
}

function addEntry(target: ReloadTarget, e: StaticFdbEntry): void {
  target.addStaticEntry(e.vni, parseMac(e.mac), e.dst, e.dev);
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
