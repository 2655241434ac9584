// The forwarding database: MAC -> endpoint per VNI, with learning, ageing, a size limit and static entries.
import { LRUCache } from "lru-cache";
import { formatMac, isMulticastMac } from "../wire/mac.js";
import { checkEndpointId, checkSegmentId } from "./vni.js";

/** learn(): a new entry was made. */
export const LEARNED = 0;
/** learn(): the entry existed behind the same endpoint; its age was reset. */
export const REFRESHED = 1;
/** learn(): the MAC showed up behind another endpoint; the entry now points there. */
export const MOVED = 2;
/** learn(): the MAC has a static entry, which learning never changes. */
export const STATIC = 3;
/** learn(): a group (multicast/broadcast) or all-zero source address, never learned. */
export const IGNORED = 4;

export type LearnResult = typeof LEARNED | typeof REFRESHED | typeof MOVED | typeof STATIC | typeof IGNORED;

const LEARN_RESULT_NAMES = ["learned", "refreshed", "moved", "static", "ignored"] as const;

export function learnResultName(code: LearnResult): string {
  return LEARN_RESULT_NAMES[code];
}

const MAX_MAC = 0xffff_ffff_ffff;

/** Kernel default (bridge ageing_time, vxlan ageing): 300 s. */
export const DEFAULT_AGEING_MS = 300_000;
/**
 * Default per-VNI limit. lru-cache preallocates its index arrays, about 20 bytes an entry, per
 * VNI that has learned anything: 16 Ki entries cost ~320 KiB per active VNI.
 */
export const DEFAULT_MAX_ENTRIES = 16_384;

/** One MAC in one VNI. Mutated in place when refreshed or moved, so learning a known MAC allocates nothing. */
export class FdbEntry {
  constructor(
    readonly mac: number,
    readonly vni: number,
    public endpoint: number,
    /** Clock value (ms) of the last frame learned from this MAC. */
    public updated: number,
    readonly isStatic: boolean,
  ) {}
}

/** What `fdb show` prints for one entry. */
export interface FdbRecord {
  mac: string;
  vni: number;
  endpoint: number;
  isStatic: boolean;
  /** Seconds since last learned; 0 for static entries. */
  ageSeconds: number;
}

/** Plain numbers, incremented in place; read them once per stats interval. */
export class FdbCounters {
  /** New entries (including a MAC relearned after it aged out). */
  learned = 0;
  refreshed = 0;
  moved = 0;
  /** Entries removed because nothing was learned from them for ageingMs. */
  aged = 0;
  /** Entries pushed out by a new MAC when the VNI's table was full (least recently learned first). */
  evicted = 0;
  /** Group or all-zero source addresses seen by learn(). */
  ignored = 0;
  /** Frames whose source MAC has a static entry behind another endpoint (spoofing or miswiring). */
  staticConflicts = 0;
}

export interface FdbOptions {
  /** Per-VNI limit on learned entries (the kernel's per-device maxaddress). Static entries do not count. */
  maxEntries?: number;
  /** Idle time after which a learned entry is gone; 0 = never age. */
  ageingMs?: number;
  /** Monotonic clock in ms read by tick() without an argument; default performance.now(). */
  now?: () => number;
}

interface VniTable {
  /** Learned entries, least recently learned first. */
  readonly cache: LRUCache<number, FdbEntry>;
  /** Static entries live outside the LRU so a flood of new source MACs can never evict them. */
  readonly statics: Map<number, FdbEntry>;
}

// Options objects passed on every call so lru-cache does not allocate its default `{}`.
// (It writes `status` into them; that is why they cannot be frozen.)
const GET_OPTIONS: LRUCache.GetOptions<number, FdbEntry, unknown> = {};
const PEEK_OPTIONS: LRUCache.PeekOptions<number, FdbEntry, unknown> = {};
const SET_OPTIONS: LRUCache.SetOptions<number, FdbEntry, unknown> = {};

export class Fdb {
  readonly counters = new FdbCounters();
  readonly maxEntries: number;
  #ageingMs: number;
  readonly #clock: () => number;
  #now: number;
  readonly #tables = new Map<number, VniTable>();
  readonly #dispose: LRUCache.Disposer<number, FdbEntry>;
  // One-entry memos of the last learned source and the last looked-up destination. Frames of a
  // batch come in runs of one flow (a TCP burst), and a 48-bit key costs a boxed-number Map probe
  // (~25 ns) that the memo skips. dispose() clears a memo whose entry leaves the cache.
  #lastSource: FdbEntry | undefined;
  #lastDestination: FdbEntry | undefined;

  constructor(options: FdbOptions = {}) {
    const { maxEntries = DEFAULT_MAX_ENTRIES, ageingMs = DEFAULT_AGEING_MS, now = () => performance.now() } = options;
    if (!Number.isInteger(maxEntries) || maxEntries < 1) {
      throw new RangeError(`invalid FDB size ${maxEntries} (maxEntries is an integer >= 1)`);
    }
    this.maxEntries = maxEntries;
    this.#ageingMs = 0;
    this.ageingMs = ageingMs;
    this.#clock = now;
    this.#now = now();
    const counters = this.counters;
    this.#dispose = (entry, _mac, reason) => {
      if (entry === this.#lastSource) this.#lastSource = undefined;
      if (entry === this.#lastDestination) this.#lastDestination = undefined;
      if (reason === "evict") counters.evicted++;
    };
  }

  get ageingMs(): number {
    return this.#ageingMs;
  }

  set ageingMs(ms: number) {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`invalid ageing time ${ms} ms (0 = never age)`);
    this.#ageingMs = ms;
  }

  /** The clock value in use until the next tick. */
  get now(): number {
    return this.#now;
  }

  /** Sets the clock for the coming batch: once per batch, not per frame. */
  tick(nowMs?: number): void {
    this.#now = nowMs ?? this.#clock();
  }

  /**
   * The endpoint behind mac in vni, or -1. An entry that has aged but not yet been swept is
   * deleted here and reported absent. Does not change LRU order: recency follows learning (the
   * source side), which is also what ageing measures.
   */
  lookup(vni: number, mac: number): number {
    let entry = this.#lastDestination;
    if (entry === undefined || entry.mac !== mac || entry.vni !== vni) {
      const table = this.#tables.get(vni);
      if (table === undefined) return -1;
      entry = table.cache.peek(mac, PEEK_OPTIONS);
      if (entry === undefined) {
        if (table.statics.size === 0) return -1;
        const fixed = table.statics.get(mac);
        return fixed === undefined ? -1 : fixed.endpoint;
      }
      this.#lastDestination = entry;
    }
    const ageing = this.#ageingMs;
    if (ageing === 0 || this.#now - entry.updated < ageing) return entry.endpoint;
    this.#tables.get(vni)!.cache.delete(mac);
    this.counters.aged++;
    return -1;
  }

  /** Learns that mac (a frame's source) is behind endpoint in vni. */
  learn(vni: number, mac: number, endpoint: number): LearnResult {
    if (mac === 0 || isMulticastMac(mac)) {
      this.counters.ignored++;
      return IGNORED;
    }
    const now = this.#now;
    let entry = this.#lastSource;
    if (entry === undefined || entry.mac !== mac || entry.vni !== vni) {
      // get(), not peek(): moves the entry to the most recent end, so eviction takes the idlest
      // MAC. (A memo hit skips it: the last learned entry is already at that end.)
      const table = this.#tables.get(vni) ?? this.#createTable(vni);
      entry = table.cache.get(mac, GET_OPTIONS);
      if (entry === undefined) return this.#learnNew(table, vni, mac, endpoint);
      this.#lastSource = entry;
    }
    const ageing = this.#ageingMs;
    if (ageing !== 0 && now - entry.updated >= ageing) {
      // Aged but not yet swept: it is gone, and this is a new entry reusing the object.
      this.counters.aged++;
      this.counters.learned++;
      entry.endpoint = endpoint;
      entry.updated = now;
      return LEARNED;
    }
    entry.updated = now;
    if (entry.endpoint === endpoint) {
      this.counters.refreshed++;
      return REFRESHED;
    }
    entry.endpoint = endpoint;
    this.counters.moved++;
    return MOVED;
  }

  #learnNew(table: VniTable, vni: number, mac: number, endpoint: number): LearnResult {
    if (table.statics.size !== 0) {
      const fixed = table.statics.get(mac);
      if (fixed !== undefined) {
        if (fixed.endpoint !== endpoint) this.counters.staticConflicts++;
        return STATIC;
      }
    }
    const entry = new FdbEntry(mac, vni, endpoint, this.#now, false);
    table.cache.set(mac, entry, SET_OPTIONS);
    this.#lastSource = entry;
    this.counters.learned++;
    return LEARNED;
  }

  /** Adds or replaces a static entry (`bridge fdb add ... static`): never ages, never moves, never evicted. */
  addStatic(vni: number, mac: number, endpoint: number): void {
    checkSegmentId(vni);
    checkEndpointId(endpoint);
    if (!Number.isInteger(mac) || mac < 0 || mac > MAX_MAC) throw new RangeError(`invalid MAC key ${mac}`);
    if (mac === 0 || isMulticastMac(mac)) {
      throw new RangeError(
        `cannot add a static FDB entry for ${formatMac(mac)}: group and all-zero addresses are flooded, not looked up`,
      );
    }
    const table = this.#tables.get(vni) ?? this.#createTable(vni);
    table.cache.delete(mac);
    const fixed = table.statics.get(mac);
    if (fixed !== undefined) fixed.endpoint = endpoint;
    else table.statics.set(mac, new FdbEntry(mac, vni, endpoint, this.#now, true));
  }

  /** Removes one entry, learned or static. Returns false if there was none. */
  remove(vni: number, mac: number): boolean {
    const table = this.#tables.get(vni);
    if (table === undefined) return false;
    return table.cache.delete(mac) || table.statics.delete(mac);
  }

  /**
   * Removes learned entries of one VNI (or all), of one endpoint (or all). Static entries go too
   * when withStatic is set: do that when an endpoint is removed, so no entry names a dead id.
   * Returns how many entries were removed.
   */
  flush(vni?: number, endpoint?: number, withStatic = false): number {
    let removed = 0;
    for (const [v, table] of this.#tables) {
      if (vni !== undefined && v !== vni) continue;
      if (endpoint === undefined) {
        removed += table.cache.size;
        table.cache.clear();
        if (withStatic) {
          removed += table.statics.size;
          table.statics.clear();
        }
        continue;
      }
      const doomed: number[] = [];
      for (const entry of table.cache.values()) if (entry.endpoint === endpoint) doomed.push(entry.mac);
      for (const mac of doomed) table.cache.delete(mac);
      removed += doomed.length;
      if (withStatic) {
        for (const entry of table.statics.values()) {
          if (entry.endpoint === endpoint) {
            table.statics.delete(entry.mac);
            removed++;
          }
        }
      }
    }
    return removed;
  }

  /**
   * Removes aged entries; call it every few seconds from a timer. It ticks the clock first (with
   * nowMs, or the clock function), so entries age while no frames arrive. The LRU order is the order of last learning
   * (learn() is the only thing that reorders), so the walk starts at the idlest entry and stops at
   * the first live one: the cost is the number of entries removed, not the table size. This needs a
   * clock that does not go backwards; an entry missed because it did is still treated as absent.
   */
  sweep(nowMs?: number): number {
    this.tick(nowMs);
    const ageing = this.#ageingMs;
    if (ageing === 0) return 0;
    const now = this.#now;
    let removed = 0;
    for (const table of this.#tables.values()) {
      if (table.cache.size === 0) continue;
      const doomed: number[] = [];
      for (const entry of table.cache.rvalues()) {
        if (entry === undefined) continue;
        if (now - entry.updated < ageing) break;
        doomed.push(entry.mac);
      }
      for (const mac of doomed) table.cache.delete(mac);
      removed += doomed.length;
    }
    this.counters.aged += removed;
    return removed;
  }

  /** Number of entries (learned + static) in one VNI or in all; aged entries not yet swept count. */
  size(vni?: number): number {
    if (vni !== undefined) {
      const table = this.#tables.get(vni);
      return table === undefined ? 0 : table.cache.size + table.statics.size;
    }
    let n = 0;
    for (const table of this.#tables.values()) n += table.cache.size + table.statics.size;
    return n;
  }

  /** VNIs that have (or had) entries, ascending. */
  vnis(): number[] {
    return [...this.#tables.keys()].sort((a, b) => a - b);
  }

  /**
   * Entries for `fdb show`: VNIs ascending; per VNI static entries first, then learned ones from
   * the most recently learned. Aged entries are skipped. Ages are measured at the clock's current
   * value (read when iteration starts), not at the last batch.
   */
  *entries(vni?: number): IterableIterator<FdbRecord> {
    this.tick();
    const now = this.#now;
    const ageing = this.#ageingMs;
    for (const v of vni === undefined ? this.vnis() : [vni]) {
      const table = this.#tables.get(v);
      if (table === undefined) continue;
      for (const e of table.statics.values()) {
        yield { mac: formatMac(e.mac), vni: v, endpoint: e.endpoint, isStatic: true, ageSeconds: 0 };
      }
      for (const e of table.cache.values()) {
        const age = now - e.updated;
        if (ageing !== 0 && age >= ageing) continue;
        yield { mac: formatMac(e.mac), vni: v, endpoint: e.endpoint, isStatic: false, ageSeconds: Math.max(0, age) / 1000 };
      }
    }
  }

  #createTable(vni: number): VniTable {
    const table: VniTable = {
      cache: new LRUCache<number, FdbEntry>({ max: this.maxEntries, dispose: this.#dispose }),
      statics: new Map(),
    };
    this.#tables.set(vni, table);
    return table;
  }
}
