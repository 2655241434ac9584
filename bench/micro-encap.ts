// Micro-benchmark of VXLAN encapsulation and decapsulation per frame, as the dataplane does them:
// VxlanEncap.writeHeader in the headroom, the outer source port from the inner flow, VxlanEncap.decap.
// Build with `npm run build`, run `node dist/bench/micro-encap.js`; or call run().
import { isEntry } from "../lab/run-main.js";
import { HEADROOM, RxBatch } from "../src/io/batch.js";
import { VxlanEncap } from "../src/dataplane/vxlan-encap.js";
import { Fdb } from "../src/switch/fdb.js";
import { SwitchModel } from "../src/switch/model.js";
import type { SegmentTable } from "../src/switch/tables.js";
import { flowHash, flowSourcePort } from "../src/wire/flow-hash.js";
import { checkVxlan, VXLAN_HEADER_LEN, vxlanVni, writeVxlanHeader } from "../src/wire/vxlan.js";
import { type MicroResult, printResults, runTasks } from "./micro-fdb.js";

const BATCH = 64;
const BATCHES_PER_CALL = 16;
/** A full-size inner frame on a 1450-byte overlay: 14 Ethernet + 1450 IP. */
const FRAME_LEN = 1464;
const VNI = 42;
let sink = 0;

/** A batch of TCP/IPv4 frames of 16 flows (ports vary), laid out as a TAP read leaves them. */
function tcpBatch(): RxBatch {
  const rx = new RxBatch(BATCH, HEADROOM + FRAME_LEN + 4);
  for (let i = 0; i < BATCH; i++) {
    const off = rx.offsetOf(i);
    const b = rx.slab;
    // Ethernet: dst 52:54:00:42:02:00, src 52:54:00:42:01:00, IPv4.
    b.set([0x52, 0x54, 0x00, 0x42, 0x02, 0x00, 0x52, 0x54, 0x00, 0x42, 0x01, 0x00, 0x08, 0x00], off);
    const ip = off + 14;
    // IPv4: version/IHL, TOS, total length, id, DF, TTL 64, TCP, checksum (unused here), 10.42.0.1 -> 10.42.0.2.
    b.set([0x45, 0, (FRAME_LEN - 14) >> 8, (FRAME_LEN - 14) & 0xff, 0, i, 0x40, 0, 64, 6, 0, 0, 10, 42, 0, 1, 10, 42, 0, 2], ip);
    const flow = i % 16;
    b.writeUInt16BE(40000 + flow, ip + 20); // source port
    b.writeUInt16BE(5201, ip + 22); // destination port
    rx.lengths[i] = FRAME_LEN;
  }
  return rx;
}

/** The same frames with their VXLAN header written, as a tunnel receive leaves them. */
function vxlanBatch(): { rx: RxBatch; offsets: Uint32Array; lengths: Uint32Array } {
  const rx = tcpBatch();
  const offsets = new Uint32Array(BATCH);
  const lengths = new Uint32Array(BATCH);
  for (let i = 0; i < BATCH; i++) {
    const off = rx.offsetOf(i) - VXLAN_HEADER_LEN;
    writeVxlanHeader(rx.slab, off, VNI);
    offsets[i] = off;
    lengths[i] = rx.lengths[i]! + VXLAN_HEADER_LEN;
  }
  return { rx, offsets, lengths };
}

/** Segment VNI as the loops hold it: compiled by the switch model. */
function segmentTable(): SegmentTable {
  const model = new SwitchModel(new Fdb(), { family: 4, local: "198.18.0.1", peerPort: 4789 });
  model.addSegment({ id: VNI, mtu: 1450 });
  return model.tables.current.segments.get(VNI)!;
}

export async function run(): Promise<MicroResult[]> {
  const encap = new VxlanEncap();
  const segment = segmentTable();
  const tx = tcpBatch();
  const txSlab = tx.slab;
  const txOffsets = Uint32Array.from({ length: BATCH }, (_, i) => tx.offsetOf(i));
  const rx = vxlanBatch();
  const rxSlab = rx.rx.slab;
  const ops = BATCH * BATCHES_PER_CALL;
  const results = await runTasks([
    {
      name: "encap: VxlanEncap.writeHeader (per frame)",
      opsPerCall: ops,
      fn: () => {
        for (let b = 0; b < BATCHES_PER_CALL; b++) {
          for (let i = 0; i < BATCH; i++) encap.writeHeader(txSlab, txOffsets[i]!, FRAME_LEN, segment);
        }
        sink += txSlab[txOffsets[0]! - 4]!;
      },
    },
    {
      name: "encap + outer source port from the flow hash (per frame)",
      opsPerCall: ops,
      fn: () => {
        let acc = 0;
        for (let b = 0; b < BATCHES_PER_CALL; b++) {
          for (let i = 0; i < BATCH; i++) {
            const off = txOffsets[i]!;
            encap.writeHeader(txSlab, off, FRAME_LEN, segment);
            acc += flowSourcePort(txSlab, off, FRAME_LEN);
          }
        }
        sink += acc;
      },
    },
    {
      name: "flowHash, TCP/IPv4 frame (per frame)",
      opsPerCall: ops,
      fn: () => {
        let acc = 0;
        for (let b = 0; b < BATCHES_PER_CALL; b++) {
          for (let i = 0; i < BATCH; i++) acc ^= flowHash(txSlab, txOffsets[i]!, FRAME_LEN);
        }
        sink += acc;
      },
    },
    {
      name: "decap: VxlanEncap.decap + VNI (per packet)",
      opsPerCall: ops,
      fn: () => {
        let acc = 0;
        for (let b = 0; b < BATCHES_PER_CALL; b++) {
          for (let i = 0; i < BATCH; i++) {
            acc += encap.decap(rxSlab, rx.offsets[i]!, rx.lengths[i]!);
            acc += encap.decapId;
          }
        }
        sink += acc;
      },
    },
    {
      name: "wire: writeVxlanHeader (per frame)",
      opsPerCall: ops,
      fn: () => {
        for (let b = 0; b < BATCHES_PER_CALL; b++) {
          for (let i = 0; i < BATCH; i++) writeVxlanHeader(txSlab, txOffsets[i]! - VXLAN_HEADER_LEN, VNI);
        }
        sink += txSlab[txOffsets[0]! - 4]!;
      },
    },
    {
      name: "wire: checkVxlan + vxlanVni (per packet)",
      opsPerCall: ops,
      fn: () => {
        let acc = 0;
        for (let b = 0; b < BATCHES_PER_CALL; b++) {
          for (let i = 0; i < BATCH; i++) {
            const off = rx.offsets[i]!;
            if (checkVxlan(rxSlab, off, rx.lengths[i]!) === null) acc += vxlanVni(rxSlab, off);
          }
        }
        sink += acc;
      },
    },
  ]);
  if (sink === 0.5) console.log(sink);
  return results;
}

if (isEntry(import.meta.url)) {
  printResults("VXLAN encap/decap micro-benchmark", await run());
}
