// The endpoint registry: small integer ids shared by local ports (TAPs) and peers (tunnel endpoints).

export type EndpointKind = "port" | "peer";

const FREE = 0;
const PORT = 1;
const PEER = 2;

/**
 * Ids are array indices, so the dataplane can keep per-endpoint state in plain arrays and the FDB
 * stores a number, not an object. A removed id is reused by the next add (lowest first): before
 * removing, flush the endpoint from the FDB (`fdb.flush(undefined, id, true)`) and from the
 * segments, or frames for the old owner would reach the new one.
 */
export class Endpoints {
  /** Kind per id: FREE / PORT / PEER. Grown by doubling; read by isTunnel on every frame. */
  #kinds = new Uint8Array(16);
  #names: (string | undefined)[] = [];
  readonly #byName = new Map<string, number>();
  #count = 0;

  /** Registers a local port (a TAP, or one VLAN of a trunk TAP) and returns its id. */
  addPort(name: string): number {
    return this.#add(name, PORT);
  }

  /** Registers a peer, named by its address key (e.g. "198.18.0.2" or "198.18.0.2:4789"). */
  addPeer(name: string): number {
    return this.#add(name, PEER);
  }

  /** Frees an id; returns false if it was not in use. */
  remove(id: number): boolean {
    if (!this.has(id)) return false;
    this.#byName.delete(this.#names[id]!);
    this.#names[id] = undefined;
    this.#kinds[id] = FREE;
    this.#count--;
    return true;
  }

  /** True if id is a peer (traffic to it is encapsulated). The per-frame check of split horizon. */
  isTunnel(id: number): boolean {
    return this.#kinds[id] === PEER;
  }

  /** True if id is a local port. */
  isPort(id: number): boolean {
    return this.#kinds[id] === PORT;
  }

  has(id: number): boolean {
    const k = this.#kinds[id];
    return k !== undefined && k !== FREE;
  }

  kind(id: number): EndpointKind | undefined {
    const k = this.#kinds[id];
    return k === PORT ? "port" : k === PEER ? "peer" : undefined;
  }

  /** The name given at registration, or undefined for a free id. */
  name(id: number): string | undefined {
    return this.#names[id];
  }

  /** The id registered under name, or -1. */
  idOf(name: string): number {
    return this.#byName.get(name) ?? -1;
  }

  /** Number of ids in use. */
  get size(): number {
    return this.#count;
  }

  /** One more than the largest id ever handed out: the length for arrays indexed by endpoint id. */
  get capacity(): number {
    return this.#names.length;
  }

  /** Ids in use, in increasing order. */
  *ids(): IterableIterator<number> {
    for (let id = 0; id < this.#names.length; id++) if (this.#kinds[id] !== FREE) yield id;
  }

  #add(name: string, kind: number): number {
    if (name.length === 0) throw new RangeError("an endpoint needs a name");
    const existing = this.#byName.get(name);
    if (existing !== undefined) {
      throw new Error(`endpoint "${name}" already exists (id ${existing}, ${this.kind(existing)}); remove it first`);
    }
    let id = this.#names.indexOf(undefined);
    if (id < 0) id = this.#names.length;
    if (id >= this.#kinds.length) {
      const grown = new Uint8Array(this.#kinds.length * 2);
      grown.set(this.#kinds);
      this.#kinds = grown;
    }
    this.#kinds[id] = kind;
    this.#names[id] = name;
    this.#byName.set(name, id);
    this.#count++;
    return id;
  }
}
