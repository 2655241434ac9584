// Micro-benchmark of sealing and opening (docs/ENCRYPTION.md) as the dataplane does them: seal one
// 1400-byte packet (a plain frame), seal the 44 segments of a split 64 KiB super-frame, open a
// single packet, open a UDP_GRO datagram of 44 packets; each cipher. Figures in CPU s/GB.
// Build with `npm run build`, run `node dist/bench/micro-crypto.js`; or call run().
import { isEntry } from "../lab/run-main.js";
import { randomBytes } from "node:crypto";
import { loadNative, type CryptoState } from "../src/io/native.js";
import { CIPHERS, type CipherName } from "../src/dataplane/crypto-session.js";
import { SEALED_OVERHEAD } from "../src/wire/sealed.js";
import { type MicroResult, printResults, runTasks } from "./micro-fdb.js";

const PACKET = 1400;
const HL = 8;
const WIRE = HL + SEALED_OVERHEAD + PACKET;
/** Segments of a 64 KiB super-frame at an MSS of ~1400 (what one UDP_GRO datagram holds). */
const SEGMENTS = 44;
const SLOT = 65536 + 64;
const HEADROOM = 64;
/** Packets sealed ahead for the open tasks (each opens once: the replay window refuses a second time). */
const RING = 2048;
const PSK = randomBytes(32);
const A = Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 198, 18, 0, 1]);
const B = Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 198, 18, 0, 2]);
let sink = 0;

export async function run(): Promise<MicroResult[]> {
  const addon = loadNative();
  const tasks = [];
  const checks: Float64Array[] = [];
  for (const cipher of Object.keys(CIPHERS) as CipherName[]) {
    const id = CIPHERS[cipher];
    const sender = addon.cryptoCreate(id, PSK, A, 3600, 2 ** 32 - 1, 1);
    addon.cryptoPeerAdd(sender, 1, B);
    const newReceiver = (): CryptoState => {
      const r = addon.cryptoCreate(id, PSK, B, 3600, 2 ** 32 - 1, 1);
      addon.cryptoPeerAdd(r, 1, A);
      return r;
    };
    const one = Buffer.alloc(WIRE);
    one[0] = 0x40;
    const split = Buffer.alloc(SEGMENTS * WIRE);
    for (let s = 0; s < SEGMENTS; s++) split[s * WIRE] = 0x40;
    const messages = Uint32Array.of(0, split.length, WIRE);
    // Rings of sealed packets and datagrams for the open tasks.
    const singles = Buffer.alloc(RING * WIRE);
    for (let i = 0; i < RING; i++) {
      singles[i * WIRE] = 0x40;
      addon.cryptoSeal(sender, 1, singles, i * WIRE, HL, WIRE);
    }
    const datagrams: Buffer[] = [];
    for (let d = 0; d < RING / SEGMENTS; d++) {
      const g = Buffer.alloc(SEGMENTS * WIRE);
      for (let s = 0; s < SEGMENTS; s++) g[s * WIRE] = 0x40;
      addon.cryptoSealSplit(sender, 1, g, Uint32Array.of(0, g.length, WIRE), 1, HL);
      datagrams.push(g);
    }
    const slab = Buffer.alloc(SLOT);
    const lengths = new Uint32Array(1);
    const segSizes = new Uint16Array(1);
    const slots = Int32Array.of(1);
    const counters = new Float64Array(5);
    // One receiver per task: tinybench may warm every task up before it runs any.
    let rx = newReceiver();
    let rxGro = newReceiver();
    let next = 0;
    let nextDatagram = 0;
    tasks.push(
      { name: `${cipher}: seal one ${PACKET}-byte packet`, opsPerCall: 1, fn: () => { sink += addon.cryptoSeal(sender, 1, one, 0, HL, WIRE) ? 1 : 0; } },
      { name: `${cipher}: seal a split 64 KiB super-frame (${SEGMENTS} x ${PACKET}, per packet)`, opsPerCall: SEGMENTS, fn: () => { sink += addon.cryptoSealSplit(sender, 1, split, messages, 1, HL) ? 1 : 0; } },
      {
        name: `${cipher}: open one ${PACKET}-byte packet (with its copy into the slab)`,
        opsPerCall: 1,
        fn: () => {
          if (next === RING) {
            next = 0;
            rx = newReceiver();
          }
          singles.copy(slab, HEADROOM, next * WIRE, (next + 1) * WIRE);
          next++;
          lengths[0] = WIRE;
          segSizes[0] = 0;
          addon.cryptoOpenBatch(rx, slab, SLOT, HEADROOM, lengths, segSizes, slots, 1, 0, counters);
        },
      },
      {
        name: `${cipher}: open a UDP_GRO datagram of ${SEGMENTS} packets (per packet, with its copy)`,
        opsPerCall: SEGMENTS,
        fn: () => {
          if (nextDatagram === datagrams.length) {
            nextDatagram = 0;
            rxGro = newReceiver();
          }
          const g = datagrams[nextDatagram++]!;
          g.copy(slab, HEADROOM);
          lengths[0] = g.length;
          segSizes[0] = WIRE;
          addon.cryptoOpenBatch(rxGro, slab, SLOT, HEADROOM, lengths, segSizes, slots, 1, 0, counters);
        },
      },
    );
    checks.push(counters);
  }
  // One task at a time, its calls counted and the process's CPU time taken around it: on a busy
  // machine wall-clock latency overstates the cost; CPU seconds per GB do not.
  const results: MicroResult[] = [];
  for (const t of tasks) {
    let calls = 0;
    const fn = t.fn;
    const before = process.cpuUsage();
    const [r] = await runTasks([{ ...t, fn: () => { calls++; fn(); } }], 500);
    const used = process.cpuUsage(before);
    const cpuSeconds = (used.user + used.system) / 1e6;
    results.push({ ...r!, task: `${t.name} [${(cpuSeconds / ((calls * t.opsPerCall * PACKET) / 1e9)).toFixed(3)} CPU s/GB]` });
  }
  // Every open must have verified, or the figures would time the cheap refusals.
  for (const c of checks) {
    if (c[0] === 0 || c.some((n, i) => i > 0 && n > 0)) throw new Error(`open tasks did not verify: results ${[...c].join(" ")}`);
  }
  if (sink === 0.5) console.log(sink);
  return results;
}

if (isEntry(import.meta.url)) {
  const results = await run();
  printResults("Sealing / opening micro-benchmark (CPU s/GB of inner bytes in brackets)", results);
}
