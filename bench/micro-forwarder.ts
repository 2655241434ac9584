// Micro-benchmark of the forwarding decision: one 64-frame batch (learn + decide, flood fan-out).
// Build with `npm run build`, run `node dist/bench/micro-forwarder.js`; or call run().
import { isEntry } from "../lab/run-main.js";
import { Fdb } from "../src/switch/fdb.js";
import { FLOOD, Forwarder } from "../src/switch/forwarder.js";
import { SwitchModel } from "../src/switch/model.js";
import type { SegmentTable } from "../src/switch/tables.js";
import { MAC_BROADCAST, isMulticastMac } from "../src/wire/mac.js";
import { type MicroResult, printResults, prng, randomMacs, runTasks } from "./micro-fdb.js";

const BATCH = 64;
const BATCHES_PER_CALL = 16;
const VNI = 100;
let sink = 0;

/**
 * A host with 2 TAPs on one segment and 8 peers, 1000 MACs behind each endpoint (10k entries),
 * and 64-frame batches of random frames: 3/4 known unicast, 1/8 broadcast, 1/8 unknown unicast,
 * from ports and tunnels alike (so split horizon and hairpin are exercised too); and batches of
 * bulk traffic, where consecutive frames belong to the same flow. Like a loop, the benchmark holds
 * the segment's compiled table (looked up once per batch by VNI) and hands it to every decision.
 */
interface Frames {
  from: Int32Array;
  src: Float64Array;
  dst: Float64Array;
  group: Uint8Array;
}

function scenario(): { fdb: Fdb; fwd: Forwarder; seg: SegmentTable; random: Frames; runs: Frames } {
  const fdb = new Fdb({ now: () => 0 });
  const model = new SwitchModel(fdb, { family: 4, local: "198.18.0.1", peerPort: 4789 });
  const fwd = new Forwarder(fdb, model.endpoints);
  const ids: number[] = [];
  model.batch(() => {
    model.addSegment({ id: VNI });
    for (let t = 0; t < 2; t++) ids.push(model.addPort(model.addTap(`vxs${t}`, false), VNI));
    for (let p = 0; p < 8; p++) ids.push(model.addPeer(`198.18.0.${p + 2}`).id);
  });
  const seg = model.tables.current.segments.get(VNI)!;
  const macs = randomMacs(ids.length * 1000, 3);
  const behind = new Int32Array(macs.length);
  for (let i = 0; i < macs.length; i++) {
    behind[i] = ids[i % ids.length]!;
    fdb.learn(VNI, macs[i]!, behind[i]!);
  }
  const unknown = randomMacs(BATCH, 4);
  const next = prng(11);
  const n = BATCH * BATCHES_PER_CALL;
  const frames = (): Frames => ({
    from: new Int32Array(n),
    src: new Float64Array(n),
    dst: new Float64Array(n),
    group: new Uint8Array(n),
  });
  const random = frames();
  for (let i = 0; i < n; i++) {
    const s = next() % macs.length;
    random.src[i] = macs[s]!;
    random.from[i] = behind[s]!;
    const kind = i % 8;
    if (kind === 0) random.dst[i] = MAC_BROADCAST;
    else if (kind === 1) random.dst[i] = unknown[i % BATCH]!;
    else random.dst[i] = macs[next() % macs.length]!;
    random.group[i] = isMulticastMac(random.dst[i]!) ? 1 : 0;
  }
  // Bulk traffic: each batch is 4 flows in runs of 16 frames (what a TAP read of TCP bursts looks like).
  const runs = frames();
  for (let i = 0; i < n; i += 16) {
    const s = next() % macs.length;
    const d = macs[next() % macs.length]!;
    for (let k = i; k < i + 16; k++) {
      runs.src[k] = macs[s]!;
      runs.from[k] = behind[s]!;
      runs.dst[k] = d;
    }
  }
  return { fdb, fwd, seg, random, runs };
}

export async function run(): Promise<MicroResult[]> {
  const { fdb, fwd, seg, random, runs } = scenario();
  const { from, src, dst, group } = random;
  const n = from.length;
  const results = await runTasks([
    {
      name: "decide, 64-frame batch (per frame)",
      opsPerCall: n,
      fn: () => {
        let acc = 0;
        for (let i = 0; i < n; i++) acc += fwd.decide(seg, from[i]!, dst[i]!, group[i] === 1);
        sink += acc;
      },
    },
    {
      name: "learnAndDecide, 64-frame batch (per frame)",
      opsPerCall: n,
      fn: () => {
        fdb.tick(0);
        let acc = 0;
        for (let i = 0; i < n; i++) acc += fwd.learnAndDecide(seg, from[i]!, src[i]!, dst[i]!, group[i] === 1);
        sink += acc;
      },
    },
    {
      name: "learnAndDecide, 64-frame batch of 4 flows in runs (per frame)",
      opsPerCall: n,
      fn: () => {
        fdb.tick(0);
        let acc = 0;
        for (let i = 0; i < n; i++) {
          acc += fwd.learnAndDecide(seg, runs.from[i]!, runs.src[i]!, runs.dst[i]!, runs.group[i] === 1);
        }
        sink += acc;
      },
    },
    {
      name: "learnAndDecide + walk flood list (per frame)",
      opsPerCall: n,
      fn: () => {
        let acc = 0;
        for (let i = 0; i < n; i++) {
          const f = from[i]!;
          const d = fwd.learnAndDecide(seg, f, src[i]!, dst[i]!, group[i] === 1);
          if (d === FLOOD) {
            const targets = fwd.floodTargets(seg, f);
            for (let t = 0; t < targets.length; t++) if (targets[t] !== f) acc += targets[t]!;
          } else acc += d;
        }
        sink += acc;
      },
    },
  ]);
  if (sink === 0.5) console.log(sink);
  return results;
}

if (isEntry(import.meta.url)) {
  const results = await run();
  printResults("Forwarder micro-benchmark", results);
  for (const r of results) console.log(`${r.task}: ${(r.nsPerOp * BATCH / 1000).toFixed(2)} µs per 64-frame batch`);
}
