// The forwarding database: MAC -> endpoint per VNI, with learning, ageing, a size limit and static entries.
import { formatMac, isMulticastMac } from "../wire/mac.js";
import { MacTable } from "./mac-table.js";
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
/**
 * learn(): a tunnel claimed a MAC that a local port sent from less than moveHoldMs ago; the
 * entry stays on the local port (one spoofed or looped frame cannot steal a local host).
 */
export const MOVE_REFUSED = 5;

export type LearnResult = typeof LEARNED | typeof REFRESHED | typeof MOVED | typeof STATIC | typeof IGNORED | typeof MOVE_REFUSED;

const LEARN_RESULT_NAMES = ["learned", "refreshed", "moved", "static", "ignored", "moveRefused"] as const;

/** What learn() needs to know of endpoints to guard local MACs: which ids are tunnels. */
export interface EndpointKinds {
  isTunnel(id: number): boolean;
}

export function learnResultName(code: LearnResult): string {
  return LEARN_RESULT_NAMES[code];
}

const MAX_MAC = 0xffff_ffff_ffff;

/** Kernel default (bridge ageing_time, vxlan ageing): 300 s. */
export const DEFAULT_AGEING_MS = 300_000;
/**
 * Default per-VNI limit (`maxAddresses`; the kernel's vxlan has none; its bridge has 0 =
 * unlimited). A VNI's table grows with what it learns, 24 bytes a slot at most half full: 64 Ki
 * entries cost at most ~3 MiB, a million ~48 MiB.
 */
export const DEFAULT_MAX_ENTRIES = 65_536;
/**
 * A MAC learned on a local port moves to a tunnel only after the local port has been silent
 * from it this long: a host that moved away stops sending here, a spoofer's frame does not
 * make the real host stop. Long enough to cover a chatty host's gaps, short enough that a
 * migrated VM is reachable again within a couple of seconds.
 */
export const DEFAULT_MOVE_HOLD_MS = 1000;

/** A static entry (`bridge fdb add ... static`): kept apart from the learned table, never aged or evicted. */
interface StaticEntry {
  readonly mac: number;
  endpoint: number;
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
  /** Tunnel frames claiming a MAC a local port sent from within moveHoldMs: the entry stayed local. */
  moveRefused = 0;
}

export interface FdbOptions {
  /** Per-VNI limit on learned entries (the kernel's per-device maxaddress). Static entries do not count. */
  maxEntries?: number;
  /** Idle time after which a learned entry is gone; 0 = never age. */
  ageingMs?: number;
  /** Monotonic clock in ms read by tick() without an argument; default performance.now(). */
  now?: () => number;
  /** Quiet time on the local port before a tunnel may take one of its MACs (DEFAULT_MOVE_HOLD_MS; 0 = moves at once). */
  moveHoldMs?: number;
}

interface VniTable {
  /** Learned entries, in order of last learning. */
  readonly learned: MacTable;
  /** Static entries live outside the learned table so a flood of new source MACs can never evict them. */
  readonly statics: Map<number, StaticEntry>;
}

/** Ages are kept as int32 ms differences, so the ageing time must stay below 2^31 ms (24.8 days). */
const MAX_AGEING_MS = 0x7fff_ffff;

/** The clock as stored in a slot: ms truncated to int32 (differences stay right across the wrap). */
function stampOf(nowMs: number): number {
  return nowMs | 0;
}

export class Fdb {
  readonly counters = new FdbCounters();
  readonly maxEntries: number;
  readonly moveHoldMs: number;
  #ageingMs: number;
  readonly #clock: () => number;
  #now: number;
  #stamp: number;
  readonly #tables = new Map<number, VniTable>();
  // The table of the last VNI used: a batch is mostly one VNI, and this skips the Map probe.
  #lastVni = -1;
  #lastTable: VniTable | undefined;

  constructor(options: FdbOptions = {}) {
    const { maxEntries = DEFAULT_MAX_ENTRIES, ageingMs = DEFAULT_AGEING_MS, now = () => performance.now(), moveHoldMs = DEFAULT_MOVE_HOLD_MS } = options;
    if (!Number.isInteger(maxEntries) || maxEntries < 1) {
      throw new RangeError(`invalid FDB size ${maxEntries} (maxEntries is an integer >= 1)`);
    }
    if (!Number.isInteger(moveHoldMs) || moveHoldMs < 0 || moveHoldMs > MAX_AGEING_MS) {
      throw new RangeError(`invalid move hold time ${moveHoldMs} ms (an integer >= 0)`);
    }
    this.maxEntries = maxEntries;
    this.moveHoldMs = moveHoldMs;
    this.#ageingMs = 0;
    this.ageingMs = ageingMs;
    this.#clock = now;
    this.#now = now();
    this.#stamp = stampOf(this.#now);
  }

  get ageingMs(): number {
    return this.#ageingMs;
  }

  set ageingMs(ms: number) {
    if (!Number.isFinite(ms) || ms < 0 || ms > MAX_AGEING_MS) {
      throw new RangeError(`invalid ageing time ${ms} ms (0 = never age, at most ${MAX_AGEING_MS} ms)`);
    }
    this.#ageingMs = ms;
  }

  /** The clock value in use until the next tick. */
  get now(): number {
    return this.#now;
  }

  /** Sets the clock for the coming batch: once per batch, not per frame. */
  tick(nowMs?: number): void {
    this.#now = nowMs ?? this.#clock();
    this.#stamp = stampOf(this.#now);
  }

  /**
   * The endpoint behind mac in vni, or -1. An entry that has aged but not yet been swept is
   * deleted here and reported absent. Does not change the LRU order: recency follows learning
   * (the source side), which is also what ageing measures.
   */
  lookup(vni: number, mac: number): number {
    const table = this.#table(vni);
    if (table === undefined) return -1;
    const learned = table.learned;
    const slot = learned.find(mac);
    if (slot < 0) {
      if (table.statics.size === 0) return -1;
      const fixed = table.statics.get(mac);
      return fixed === undefined ? -1 : fixed.endpoint;
    }
    if (!this.#aged(learned.stampAt(slot))) return learned.endpointAt(slot);
    learned.removeAt(slot);
    this.counters.aged++;
    return -1;
  }

  /**
   * Learns that mac (a frame's source) is behind endpoint in vni. With `kinds`, a move from a
   * local port to a tunnel waits until the port has been quiet from mac for moveHoldMs
   * (MOVE_REFUSED meanwhile, the entry and its age untouched).
   */
  learn(vni: number, mac: number, endpoint: number, kinds?: EndpointKinds): LearnResult {
    if (mac === 0 || isMulticastMac(mac)) {
      this.counters.ignored++;
      return IGNORED;
    }
    const table = this.#table(vni) ?? this.#createTable(vni);
    const learned = table.learned;
    const slot = learned.find(mac);
    if (slot < 0) return this.#learnNew(table, mac, endpoint, kinds);
    const stamp = learned.stampAt(slot);
    const aged = this.#aged(stamp);
    const current = learned.endpointAt(slot);
    if (!aged && current !== endpoint && kinds !== undefined && ((this.#stamp - stamp) | 0) < this.moveHoldMs
      && kinds.isTunnel(endpoint) && !kinds.isTunnel(current)) {
      this.counters.moveRefused++;
      return MOVE_REFUSED;
    }
    learned.touch(slot, this.#stamp);
    if (aged) {
      // Aged but not yet swept: it is gone, and this is a new entry in the same slot.
      this.counters.aged++;
      this.counters.learned++;
      learned.setEndpoint(slot, endpoint);
      return LEARNED;
    }
    if (current === endpoint) {
      this.counters.refreshed++;
      return REFRESHED;
    }
    learned.setEndpoint(slot, endpoint);
    this.counters.moved++;
    return MOVED;
  }

  #aged(stamp: number): boolean {
    const ageing = this.#ageingMs;
    return ageing !== 0 && ((this.#stamp - stamp) | 0) >= ageing;
  }

  #table(vni: number): VniTable | undefined {
    if (vni === this.#lastVni) return this.#lastTable;
    const table = this.#tables.get(vni);
    if (table !== undefined) {
      this.#lastVni = vni;
      this.#lastTable = table;
    }
    return table;
  }

  #learnNew(table: VniTable, mac: number, endpoint: number, kinds: EndpointKinds | undefined): LearnResult {
    if (table.statics.size !== 0) {
      const fixed = table.statics.get(mac);
      if (fixed !== undefined) {
        if (fixed.endpoint === endpoint) return STATIC;
        this.counters.staticConflicts++;
        // A tunnel claiming a static local MAC (the TAP's own): refused like any local MAC.
        if (kinds !== undefined && kinds.isTunnel(endpoint) && !kinds.isTunnel(fixed.endpoint)) {
          this.counters.moveRefused++;
          return MOVE_REFUSED;
        }
        return STATIC;
      }
    }
    const learned = table.learned;
    if (learned.size >= learned.max) {
      learned.removeAt(learned.oldest);
      this.counters.evicted++;
    }
    learned.insert(mac, endpoint, this.#stamp);
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
    table.learned.remove(mac);
    const fixed = table.statics.get(mac);
    if (fixed !== undefined) fixed.endpoint = endpoint;
    else table.statics.set(mac, { mac, endpoint });
  }

  /** Removes one entry, learned or static. Returns false if there was none. */
  remove(vni: number, mac: number): boolean {
    const table = this.#tables.get(vni);
    if (table === undefined) return false;
    return table.learned.remove(mac) || table.statics.delete(mac);
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
      const learned = table.learned;
      if (endpoint === undefined) {
        removed += learned.size;
        learned.clear();
        if (withStatic) {
          removed += table.statics.size;
          table.statics.clear();
        }
        continue;
      }
      const doomed: number[] = [];
      for (let slot = learned.oldest; slot >= 0; slot = learned.newerThan(slot)) {
        if (learned.endpointAt(slot) === endpoint) doomed.push(learned.macAt(slot));
      }
      for (const mac of doomed) learned.remove(mac);
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
   * nowMs, or the clock function), so entries age while no frames arrive. The table's order is
   * the order of last learning, so the walk starts at the idlest entry and stops at the first
   * live one: the cost is the number of entries removed, not the table size. This needs a clock
   * that does not go backwards; an entry missed because it did is still treated as absent.
   */
  sweep(nowMs?: number): number {
    this.tick(nowMs);
    if (this.#ageingMs === 0) return 0;
    let removed = 0;
    for (const table of this.#tables.values()) {
      const learned = table.learned;
      for (let slot = learned.oldest; slot >= 0 && this.#aged(learned.stampAt(slot)); slot = learned.oldest) {
        learned.removeAt(slot);
        removed++;
      }
    }
    this.counters.aged += removed;
    return removed;
  }

  /** Number of entries (learned + static) in one VNI or in all; aged entries not yet swept count. */
  size(vni?: number): number {
    if (vni !== undefined) {
      const table = this.#tables.get(vni);
      return table === undefined ? 0 : table.learned.size + table.statics.size;
    }
    let n = 0;
    for (const table of this.#tables.values()) n += table.learned.size + table.statics.size;
    return n;
  }

  /** VNIs that have (or had) entries, ascending. */
  vnis(): number[] {
    return [...this.#tables.keys()].sort((a, b) => a - b);
  }

  /**
   * Entries for `fdb show`: VNIs ascending; per VNI static entries first, then learned ones from
   * the most recently learned. Aged entries are skipped. Ages are measured at the clock's current
   * value (read when iteration starts), not at the last batch. Collected per VNI before yielding,
   * so a caller may change the table while iterating.
   */
  *entries(vni?: number): IterableIterator<FdbRecord> {
    this.tick();
    const stamp = this.#stamp;
    for (const v of vni === undefined ? this.vnis() : [vni]) {
      const table = this.#tables.get(v);
      if (table === undefined) continue;
      const records: FdbRecord[] = [];
      for (const e of table.statics.values()) {
        records.push({ mac: formatMac(e.mac), vni: v, endpoint: e.endpoint, isStatic: true, ageSeconds: 0 });
      }
      const learned = table.learned;
      for (let slot = learned.newest; slot >= 0; slot = learned.olderThan(slot)) {
        const stamped = learned.stampAt(slot);
        if (this.#aged(stamped)) continue;
        const age = (stamp - stamped) | 0;
        records.push({ mac: formatMac(learned.macAt(slot)), vni: v, endpoint: learned.endpointAt(slot), isStatic: false, ageSeconds: Math.max(0, age) / 1000 });
      }
      yield* records;
    }
  }

  #createTable(vni: number): VniTable {
    const table: VniTable = { learned: new MacTable(this.maxEntries), statics: new Map() };
    this.#tables.set(vni, table);
    return table;
  }
}
