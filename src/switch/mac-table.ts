// One VNI's learned MACs in flat typed arrays: an open-addressing hash table (linear probing,
// backward-shift deletion) threaded by a doubly linked list in order of last learning (LRU).
//
// Why not a Map: a 48-bit MAC is not a small integer, so as a Map key it is a boxed double, and a
// random lookup in a million-entry Map chases four or five pointers across the heap (~1 µs
// measured). Here a lookup hashes the MAC to a slot and usually finds it in the first 16 bytes it
// reads: one cache line, and no allocation ever after the arrays are sized.
//
// Slot layout, 4 x int32 per slot:  [tag, low, endpoint, stamp]
//   tag      = MAC bits 47..32 | OCCUPIED (0 marks a free slot; no valid tag is 0)
//   low      = MAC bits 31..0
//   endpoint = where the MAC lives
//   stamp    = clock (ms, truncated to int32) of the last learning
// The LRU links (`newer`, `older`) are per slot, in their own arrays: only learning touches them.

const OCCUPIED = 0x1_0000;
const STRIDE = 4;
const TWO_32 = 0x1_0000_0000;
const NONE = -1;
/** Smallest table allocated; it doubles as it fills, up to twice `max` slots. */
const MIN_CAPACITY = 64;
/** Grow when more than half the slots are taken: short probe runs, one line per lookup. */
const MAX_LOAD_SHIFT = 1;

function capacityFor(entries: number): number {
  let capacity = MIN_CAPACITY;
  while (capacity >>> MAX_LOAD_SHIFT < entries) capacity *= 2;
  return capacity;
}

/** The MAC's low 32 bits as int32 (how `low` is stored). */
function lowBits(mac: number): number {
  return mac | 0;
}

/** The MAC's high 16 bits (exact for any integer below 2^48). */
function highBits(mac: number): number {
  return ((mac - (mac >>> 0)) / TWO_32) & 0xffff;
}

/** murmur3's 32-bit finaliser over both halves: neighbouring MACs (one vendor's OUI) spread out. */
function slotHash(tag: number, low: number): number {
  let h = Math.imul(low ^ Math.imul(tag, 0x9e37_79b1), 0x85eb_ca6b);
  h ^= h >>> 15;
  h = Math.imul(h, 0xc2b2_ae35);
  return h ^ (h >>> 13);
}

export class MacTable {
  /** Most entries; learning a new MAC into a full table first removes the least recently learned. */
  readonly max: number;
  #slots: Int32Array;
  #newer: Int32Array;
  #older: Int32Array;
  #mask: number;
  #size = 0;
  /** Most recently learned slot, or NONE. */
  #newest = NONE;
  /** Least recently learned slot, or NONE. */
  #oldest = NONE;

  constructor(max: number) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`invalid MAC table size ${max} (an integer >= 1)`);
    this.max = max;
    const capacity = MIN_CAPACITY;
    this.#slots = new Int32Array(capacity * STRIDE);
    this.#newer = new Int32Array(capacity);
    this.#older = new Int32Array(capacity);
    this.#mask = capacity - 1;
  }

  get size(): number {
    return this.#size;
  }

  /** Slots allocated (a power of two); memory is 24 bytes per slot. */
  get capacity(): number {
    return this.#mask + 1;
  }

  /** The slot holding mac, or -1. */
  find(mac: number): number {
    const slots = this.#slots;
    const mask = this.#mask;
    const tag = highBits(mac) | OCCUPIED;
    const low = lowBits(mac);
    let slot = slotHash(tag, low) & mask;
    for (;;) {
      const base = slot * STRIDE;
      const t = slots[base]!;
      if (t === tag && slots[base + 1] === low) return slot;
      if (t === 0) return NONE;
      slot = (slot + 1) & mask;
    }
  }

  endpointAt(slot: number): number {
    return this.#slots[slot * STRIDE + 2]!;
  }

  stampAt(slot: number): number {
    return this.#slots[slot * STRIDE + 3]!;
  }

  macAt(slot: number): number {
    const base = slot * STRIDE;
    return (this.#slots[base]! & 0xffff) * TWO_32 + (this.#slots[base + 1]! >>> 0);
  }

  setEndpoint(slot: number, endpoint: number): void {
    this.#slots[slot * STRIDE + 2] = endpoint;
  }

  /** Records a learning at `stamp` and makes the slot the most recently learned. */
  touch(slot: number, stamp: number): void {
    this.#slots[slot * STRIDE + 3] = stamp;
    if (slot === this.#newest) return;
    this.#unlink(slot);
    this.#linkNewest(slot);
  }

  /**
   * Adds mac (which must not be present) as the most recently learned entry and returns its slot.
   * The caller makes room first when size === max (see oldest / removeAt).
   */
  insert(mac: number, endpoint: number, stamp: number): number {
    if (this.#size >= this.max) throw new RangeError(`MAC table full (${this.max} entries): remove one first`);
    if (this.#size + 1 > this.capacity >>> MAX_LOAD_SHIFT) this.#resize(capacityFor(this.#size + 1));
    return this.#place(highBits(mac) | OCCUPIED, lowBits(mac), endpoint, stamp);
  }

  /** Removes mac; false if it was not there. */
  remove(mac: number): boolean {
    const slot = this.find(mac);
    if (slot === NONE) return false;
    this.removeAt(slot);
    return true;
  }

  /**
   * Removes the entry in `slot`. Entries later in its probe run may move into the hole, so slot
   * numbers held across a removal are stale: re-read `oldest` or find() again.
   */
  removeAt(slot: number): void {
    this.#unlink(slot);
    this.#size--;
    const slots = this.#slots;
    const mask = this.#mask;
    let hole = slot;
    let next = (hole + 1) & mask;
    // Backward shift: pull up each later entry of the run that may legally sit in the hole
    // (its home slot is not cyclically between the hole and where it is now).
    while (slots[next * STRIDE] !== 0) {
      const base = next * STRIDE;
      const home = slotHash(slots[base]!, slots[base + 1]!) & mask;
      const distanceNow = (next - home) & mask;
      const distanceToHole = (hole - home) & mask;
      if (distanceToHole < distanceNow) {
        this.#move(next, hole);
        hole = next;
      }
      next = (next + 1) & mask;
    }
    slots.fill(0, hole * STRIDE, hole * STRIDE + STRIDE);
  }

  /** The least recently learned slot, or -1 when empty. */
  get oldest(): number {
    return this.#oldest;
  }

  /** The next more recently learned slot after `slot`, or -1. */
  newerThan(slot: number): number {
    return this.#newer[slot]!;
  }

  /** The most recently learned slot, or -1 when empty. */
  get newest(): number {
    return this.#newest;
  }

  /** The next less recently learned slot before `slot`, or -1. */
  olderThan(slot: number): number {
    return this.#older[slot]!;
  }

  /** Removes every entry and returns the arrays to their smallest size. */
  clear(): void {
    const capacity = MIN_CAPACITY;
    this.#slots = new Int32Array(capacity * STRIDE);
    this.#newer = new Int32Array(capacity);
    this.#older = new Int32Array(capacity);
    this.#mask = capacity - 1;
    this.#size = 0;
    this.#newest = NONE;
    this.#oldest = NONE;
  }

  #linkNewest(slot: number): void {
    this.#newer[slot] = NONE;
    this.#older[slot] = this.#newest;
    if (this.#newest !== NONE) this.#newer[this.#newest] = slot;
    else this.#oldest = slot;
    this.#newest = slot;
  }

  #unlink(slot: number): void {
    const newer = this.#newer[slot]!;
    const older = this.#older[slot]!;
    if (newer !== NONE) this.#older[newer] = older;
    else this.#newest = older;
    if (older !== NONE) this.#newer[older] = newer;
    else this.#oldest = newer;
  }

  /** Moves an entry from one slot to a free one, keeping its place in the LRU order. */
  #move(from: number, to: number): void {
    this.#slots.copyWithin(to * STRIDE, from * STRIDE, from * STRIDE + STRIDE);
    const newer = this.#newer[from]!;
    const older = this.#older[from]!;
    this.#newer[to] = newer;
    this.#older[to] = older;
    if (newer !== NONE) this.#older[newer] = to;
    else this.#newest = to;
    if (older !== NONE) this.#newer[older] = to;
    else this.#oldest = to;
  }

  /** Rehashes into `capacity` slots, oldest first so the LRU order is rebuilt as it was. */
  #resize(capacity: number): void {
    const slots = this.#slots;
    const older = this.#older;
    let slot = this.#newest;
    // Walk newest -> oldest once to list the order, then insert oldest first.
    const order = new Int32Array(this.#size);
    for (let i = this.#size - 1; i >= 0; i--) {
      order[i] = slot;
      slot = older[slot]!;
    }
    this.#slots = new Int32Array(capacity * STRIDE);
    this.#newer = new Int32Array(capacity);
    this.#older = new Int32Array(capacity);
    this.#mask = capacity - 1;
    this.#newest = NONE;
    this.#oldest = NONE;
    const size = this.#size;
    this.#size = 0;
    for (let i = 0; i < size; i++) {
      const base = order[i]! * STRIDE;
      this.#place(slots[base]!, slots[base + 1]!, slots[base + 2]!, slots[base + 3]!);
    }
  }

  /** Puts an entry in the first free slot of its probe run, as the most recently learned. */
  #place(tag: number, low: number, endpoint: number, stamp: number): number {
    const slots = this.#slots;
    const mask = this.#mask;
    let slot = slotHash(tag, low) & mask;
    while (slots[slot * STRIDE] !== 0) slot = (slot + 1) & mask;
    const base = slot * STRIDE;
    slots[base] = tag;
    slots[base + 1] = low;
    slots[base + 2] = endpoint;
    slots[base + 3] = stamp;
    this.#linkNewest(slot);
    this.#size++;
    return slot;
  }
}
