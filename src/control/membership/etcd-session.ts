// One switch's connection to etcd: its registration under a kept-alive lease, the prefix snapshot and watch, reconnection with backoff.
import { readFileSync } from "node:fs";
import { noop } from "cockatiel";
import { Etcd3, type IOptions, type Lease, type Watcher } from "etcd3";

/** What the session hands up: a full picture (after every (re)connect) and changes after it. */
export interface SessionEvents {
  snapshot(kvs: { key: string; value: string; revision: number }[]): void;
  put(key: string, value: string, revision: number): void;
  delete(key: string): void;
  /** State changes, for status and the log. */
  state(state: "connected" | "unreachable", reason?: string): void;
}

export interface SessionOptions {
  endpoints: string[];
  prefix: string;
  leaseSeconds: number;
  tls?: { ca: string; cert?: string; key?: string };
  /** The key and value this switch registers under its lease. */
  registration: { key: string; value: string };
}

/** Reconnection waits: from 200 ms doubling to 5 s, so a returning etcd is found within seconds. */
const RETRY_FIRST_MS = 200;
const RETRY_MAX_MS = 5000;
/** A call that does not answer in this long counts as etcd unreachable. */
const CALL_TIMEOUT_MS = 3000;

/** The watch's reconnection waits (etcd3 asks next() before the first one): doubling, capped. */
class DoublingWait {
  constructor(readonly duration: number) {}
  next(): DoublingWait {
    return new DoublingWait(Math.min(this.duration * 2, RETRY_MAX_MS));
  }
}

function tlsCredentials(tls: NonNullable<SessionOptions["tls"]>): NonNullable<IOptions["credentials"]> {
  const read = (what: string, path: string): Buffer => {
    try {
      return readFileSync(path);
    } catch (err) {
      throw new Error(`cannot read the etcd TLS ${what} ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
  };
  return {
    rootCertificate: read("CA", tls.ca),
    ...(tls.cert !== undefined ? { certChain: read("certificate", tls.cert) } : {}),
    ...(tls.key !== undefined ? { privateKey: read("key", tls.key) } : {}),
  };
}

function reasonOf(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.split("\n")[0]!.slice(0, 200);
}

export class EtcdSession {
  readonly client: Etcd3;
  /** Requests sent (puts, gets, grants, keepalives), watch events received, sessions begun again. */
  requests = 0;
  watchEvents = 0;
  reconnects = 0;
  #lease: Lease | undefined;
  #watcher: Watcher | undefined;
  #closed = false;
  #retryMs = RETRY_FIRST_MS;
  #retryTimer: NodeJS.Timeout | undefined;
  /** Bumped per session: events of an abandoned one are ignored. */
  #generation = 0;

  constructor(private readonly opts: SessionOptions, private readonly events: SessionEvents) {
    this.client = new Etcd3({
      hosts: opts.endpoints,
      ...(opts.tls !== undefined ? { credentials: tlsCredentials(opts.tls) } : {}),
      dialTimeout: CALL_TIMEOUT_MS,
      defaultCallOptions: () => ({ deadline: Date.now() + CALL_TIMEOUT_MS }),
      // No circuit breaker per host: after a restart etcd must be reached again at once, or
      // leases renewed by the restart run out before the first keepalive gets through.
      faultHandling: { host: () => noop, watchBackoff: new DoublingWait(RETRY_FIRST_MS / 2) },
    });
  }

  /** Starts the first session; resolves after its snapshot, or rejects with why (retrying goes on). */
  start(): Promise<void> {
    return this.#begin();
  }

  async #begin(): Promise<void> {
    const generation = ++this.#generation;
    this.#teardown();
    try {
      const lease = this.client.lease(this.opts.leaseSeconds, { autoKeepAlive: true });
      this.#lease = lease;
      lease.on("lost", (err) => this.#fail(generation, `lease lost: ${reasonOf(err)}`));
      lease.on("keepaliveFired", () => this.requests++);
      lease.on("keepaliveFailed", (err) => this.#unreachable(generation, reasonOf(err)));
      lease.on("keepaliveSucceeded", () => this.#connected(generation));
      this.requests++;
      await lease.grant();
      this.requests++;
      await lease.put(this.opts.registration.key).value(this.opts.registration.value);
      this.requests++;
      const res = await this.client.getAll().prefix(this.opts.prefix).exec();
      if (generation !== this.#generation) return;
      const revision = Number(res.header.revision);
      this.events.snapshot(res.kvs.map((kv) => ({ key: kv.key.toString(), value: kv.value.toString(), revision: Number(kv.mod_revision) })));
      this.requests++;
      const watcher = await this.client.watch().prefix(this.opts.prefix).startRevision(String(revision + 1)).create();
      if (generation !== this.#generation) {
        void watcher.cancel().catch(() => undefined);
        return;
      }
      this.#watcher = watcher;
      watcher.on("put", (kv) => {
        this.watchEvents++;
        this.events.put(kv.key.toString(), kv.value.toString(), Number(kv.mod_revision));
      });
      watcher.on("delete", (kv) => {
        this.watchEvents++;
        this.events.delete(kv.key.toString());
      });
      watcher.on("disconnected", (err) => this.#unreachable(generation, reasonOf(err)));
      watcher.on("connected", () => this.#connected(generation));
      watcher.on("error", (err) => this.#fail(generation, `watch failed: ${reasonOf(err)}`));
      this.#retryMs = RETRY_FIRST_MS;
      this.#connected(generation);
    } catch (err) {
      this.#fail(generation, reasonOf(err));
      throw err;
    }
  }

  #connected(generation: number): void {
    if (generation === this.#generation && !this.#closed) this.events.state("connected");
  }

  #unreachable(generation: number, reason: string): void {
    if (generation === this.#generation && !this.#closed) this.events.state("unreachable", reason);
  }

  /** The session is over (lease lost, watch ended, a call failed): say so and begin another after a backoff. */
  #fail(generation: number, reason: string): void {
    if (generation !== this.#generation || this.#closed) return;
    this.#generation++;
    this.events.state("unreachable", reason);
    this.#teardown();
    const wait = this.#retryMs;
    this.#retryMs = Math.min(this.#retryMs * 2, RETRY_MAX_MS);
    this.#retryTimer = setTimeout(() => {
      this.reconnects++;
      this.#begin().catch(() => undefined);
    }, wait);
    this.#retryTimer.unref();
  }

  /** Writes a key under this switch's lease; resolves false (never throws) when etcd is not reachable now. */
  async putLeased(key: string, value: string): Promise<boolean> {
    const lease = this.#lease;
    if (lease === undefined || lease.revoked()) return false;
    this.requests++;
    try {
      await lease.put(key).value(value);
      return true;
    } catch {
      return false;
    }
  }

  /** Drops the watch and stops keepalives without revoking: the lease runs out on its own. */
  #teardown(): void {
    if (this.#watcher !== undefined) void this.#watcher.cancel().catch(() => undefined);
    this.#watcher = undefined;
    this.#lease?.release();
    this.#lease = undefined;
  }

  /**
   * Ends the session. With revoke, the lease goes at once (a clean stop: peers drop this host
   * now instead of after the lease time).
   */
  async close(revoke: boolean): Promise<void> {
    this.#closed = true;
    if (this.#retryTimer !== undefined) clearTimeout(this.#retryTimer);
    const lease = this.#lease;
    if (this.#watcher !== undefined) await this.#watcher.cancel().catch(() => undefined);
    this.#watcher = undefined;
    if (lease !== undefined && revoke) await lease.revoke({ deadline: Date.now() + 1000 }).catch(() => undefined);
    else lease?.release();
    this.client.close();
  }
}
