// Micro-benchmark of the FDB: lookup at 1k / 100k / 1M entries, learn (refresh, new with eviction).
// Build with `npm run build`, run `node dist/bench/micro-fdb.js`; or call run().
import { isEntry } from "../lab/run-main.js";
import { Bench, hrtimeNow } from "tinybench";
import { Fdb } from "../src/switch/fdb.js";

export interface MicroResult {
  task: string;
  /** Mean time of one operation (the task runs opsPerCall of them per sample). */
  nsPerOp: number;
  opsPerSec: number;
  /** Relative margin of error of the mean, percent. */
  rmePercent: number;
  samples: number;
}

export interface MicroTask {
  name: string;
  /** Operations per call: a call does a loop so timer overhead (~50 ns) is spread thin. */
  opsPerCall: number;
  fn: () => void;
}

/** Runs tasks with tinybench (high-resolution clock) and reports ns per operation. */
export async function runTasks(tasks: MicroTask[], timeMs = 500): Promise<MicroResult[]> {
  const bench = new Bench({ time: timeMs, warmupTime: 200, now: hrtimeNow });
  for (const t of tasks) bench.add(t.name, t.fn);
  await bench.run();
  return tasks.map((t) => {
    const r = bench.getTask(t.name)?.result;
    if (r === undefined || r.error !== undefined) {
      throw new Error(`benchmark task "${t.name}" failed: ${r?.error?.message ?? "no result"}`);
    }
    const nsPerOp = (r.latency.mean * 1e6) / t.opsPerCall;
    return {
      task: t.name,
      nsPerOp,
      opsPerSec: 1e9 / nsPerOp,
      rmePercent: r.latency.rme,
      samples: r.latency.samples.length,
    };
  });
}

export function printResults(title: string, results: MicroResult[]): void {
  console.log(`\n${title} (node ${process.version})`);
  console.table(
    results.map((r) => ({
      task: r.task,
      "ns/op": Number(r.nsPerOp.toFixed(1)),
      "Mops/s": Number((r.opsPerSec / 1e6).toFixed(2)),
      "±%": Number(r.rmePercent.toFixed(2)),
      samples: r.samples,
    })),
  );
}

/** Deterministic xorshift32, so every run looks up the same MACs. */
export function prng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

/** n distinct unicast, locally administered MAC keys (first octet: group bit clear, local bit set). */
export function randomMacs(n: number, seed = 1): Float64Array {
  const next = prng(seed);
  const seen = new Set<number>();
  const out = new Float64Array(n);
  while (seen.size < n) {
    const hi = ((next() & 0xfcff) | 0x0200) >>> 0;
    const key = hi * 0x1_0000_0000 + next();
    if (seen.has(key)) continue;
    out[seen.size] = key;
    seen.add(key);
  }
  return out;
}

function shuffled(keys: Float64Array, seed: number): Float64Array {
  const out = keys.slice();
  const next = prng(seed);
  for (let i = out.length - 1; i > 0; i--) {
    const j = next() % (i + 1);
    const t = out[i]!;
    out[i] = out[j]!;
    out[j] = t;
  }
  return out;
}

const VNI = 100;
const OPS = 1024;
// Keeps results observable so the JIT cannot drop the loops.
let sink = 0;

/** A table of n learned entries (endpoints 0..15), ageing on, clock fixed. */
function filledFdb(keys: Float64Array): Fdb {
  const fdb = new Fdb({ maxEntries: keys.length, now: () => 0 });
  for (let i = 0; i < keys.length; i++) fdb.learn(VNI, keys[i]!, i & 15);
  return fdb;
}

/** Cycles through `order` OPS keys per call. */
function lookupTask(name: string, fdb: Fdb, order: Float64Array): MicroTask {
  let pos = 0;
  const len = order.length;
  return {
    name,
    opsPerCall: OPS,
    fn: () => {
      let i = pos;
      let acc = 0;
      for (let k = 0; k < OPS; k++) {
        acc += fdb.lookup(VNI, order[i]!);
        if (++i === len) i = 0;
      }
      pos = i;
      sink += acc;
    },
  };
}

/** Learns order[i] behind endpoints[i], OPS per call. */
function learnTask(name: string, fdb: Fdb, order: Float64Array, endpoints: Int32Array): MicroTask {
  let pos = 0;
  const len = order.length;
  return {
    name,
    opsPerCall: OPS,
    fn: () => {
      let i = pos;
      let acc = 0;
      for (let k = 0; k < OPS; k++) {
        acc += fdb.learn(VNI, order[i]!, endpoints[i]!);
        if (++i === len) i = 0;
      }
      pos = i;
      sink += acc;
    },
  };
}

export async function run(): Promise<MicroResult[]> {
  const results: MicroResult[] = [];
  for (const n of [1_000, 100_000, 1_000_000]) {
    const keys = randomMacs(n, n);
    const fdb = filledFdb(keys);
    const random = shuffled(keys, 7);
    // 64 MACs: a batch's worth of flows, cache-resident, as in steady traffic between few hosts.
    const hot = random.slice(0, 64);
    const misses = randomMacs(4096, 99).filter((k) => fdb.lookup(VNI, k) < 0);
    const label = n >= 1_000_000 ? `${n / 1_000_000}M` : `${n / 1_000}k`;
    // The endpoint each key was learned behind, in `random` order: learning it again is a refresh.
    const learnedBehind = new Map<number, number>();
    for (let i = 0; i < keys.length; i++) learnedBehind.set(keys[i]!, i & 15);
    const endpoints = Int32Array.from(random, (k) => learnedBehind.get(k)!);
    const hotEndpoints = endpoints.slice(0, 64);
    const tasks: MicroTask[] = [
      lookupTask(`lookup hit, random, ${label} entries`, fdb, random),
      lookupTask(`lookup hit, 64 hot MACs, ${label} entries`, fdb, hot),
      lookupTask(`lookup hit, 4k active MACs, ${label} entries`, fdb, random.slice(0, 4096)),
      lookupTask(`lookup miss, ${label} entries`, fdb, misses),
      // REFRESHED: the common case for every frame's source MAC.
      learnTask(`learn refresh, random, ${label} entries`, fdb, random, endpoints),
      learnTask(`learn refresh, 64 hot MACs, ${label} entries`, fdb, hot, hotEndpoints),
    ];
    results.push(...(await runTasks(tasks)));
    if (fdb.counters.moved !== 0) throw new Error("benchmark bug: a refresh was counted as a move");
  }
  // New MACs into a full table: allocation of an entry plus an eviction per learn.
  {
    const n = 100_000;
    const fdb = filledFdb(randomMacs(n, 5));
    const fresh = randomMacs(1 << 20, 6);
    const endpoints = Int32Array.from(fresh, (_, i) => i & 15);
    results.push(...(await runTasks([learnTask("learn new + evict, full 100k table", fdb, fresh, endpoints)])));
  }
  if (sink === 0.5) console.log(sink);
  return results;
}

if (isEntry(import.meta.url)) {
  printResults("FDB micro-benchmark", await run());
}
