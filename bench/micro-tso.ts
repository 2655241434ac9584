// Micro-benchmark of the native offloads: tsoSplit of a 64 KiB TCP/IPv4 super-frame into VXLAN
// segments (egress), and groCoalesce of those segments back into one super-frame (ingress).
// Build with `npm run build`, run `node dist/bench/micro-tso.js`; or call run().
import { isEntry } from "../lab/run-main.js";
import { HEADROOM } from "../src/io/batch.js";
import { loadNative } from "../src/io/native.js";
import { VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV4, VIRTIO_NET_HDR_LEN } from "../src/wire/virtio-net.js";
import { VXLAN_HEADER_LEN, writeVxlanHeader } from "../src/wire/vxlan.js";
import { type MicroResult, printResults, runTasks } from "./micro-fdb.js";

/** MSS of a 1450-byte overlay with TCP timestamps: 1450 - 20 - 32. */
const MSS = 1398;
const ETH = 14;
const IP_HDR = 20;
const TCP_HDR = 32;
/** The largest IPv4 packet: what a TAP with TSO4 hands up for a bulk TCP flow. */
const FRAME_LEN = ETH + 65535;
const PAYLOAD = FRAME_LEN - ETH - IP_HDR - TCP_HDR;
const SEGMENTS = Math.ceil(PAYLOAD / MSS);
/** Largest UDP payload of one UDP_SEGMENT send over IPv4. */
const MAX_MESSAGE = 65535 - 20 - 8;
const GRO_RECORD = 6;
let sink = 0;

/** A TCP/IPv4 super-frame behind its virtio-net header (GSO TCPV4, partial checksum), at HEADROOM. */
function superFrame(): Buffer {
  const buf = Buffer.alloc(HEADROOM + FRAME_LEN);
  const vh = HEADROOM - VIRTIO_NET_HDR_LEN;
  buf[vh] = VIRTIO_NET_HDR_F_NEEDS_CSUM;
  buf[vh + 1] = VIRTIO_NET_HDR_GSO_TCPV4;
  buf.writeUInt16LE(ETH + IP_HDR + TCP_HDR, vh + 2); // hdr_len
  buf.writeUInt16LE(MSS, vh + 4); // gso_size
  buf.writeUInt16LE(ETH + IP_HDR, vh + 6); // csum_start
  buf.writeUInt16LE(16, vh + 8); // csum_offset (TCP checksum)
  const f = HEADROOM;
  buf.set([0x52, 0x54, 0x00, 0x42, 0x02, 0x00, 0x52, 0x54, 0x00, 0x42, 0x01, 0x00, 0x08, 0x00], f);
  const ip = f + ETH;
  buf.set([0x45, 0, 0xff, 0xff, 0x12, 0x34, 0x40, 0, 64, 6, 0, 0, 10, 42, 0, 1, 10, 42, 0, 2], ip);
  const tcp = ip + IP_HDR;
  buf.writeUInt16BE(40000, tcp);
  buf.writeUInt16BE(5201, tcp + 2);
  buf.writeUInt32BE(1_000_000, tcp + 4); // seq
  buf.writeUInt32BE(7, tcp + 8); // ack
  buf[tcp + 12] = (TCP_HDR / 4) << 4;
  buf[tcp + 13] = 0x18; // ACK|PSH
  buf.writeUInt16BE(502, tcp + 14); // window
  buf.set([1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2], tcp + 20); // NOP NOP timestamps
  for (let i = tcp + TCP_HDR; i < buf.length; i++) buf[i] = i & 0xff;
  return buf;
}

export async function run(): Promise<MicroResult[]> {
  const addon = loadNative();
  const src = superFrame();
  const dst = Buffer.alloc(2 * FRAME_LEN + SEGMENTS * 128);
  const template = Buffer.alloc(16);
  writeVxlanHeader(template, 0, 42);
  const messages = new Uint32Array(3 * 1100);
  const split = (): number => addon.tsoSplit(src, HEADROOM, FRAME_LEN, dst, 0, dst.length, template, VXLAN_HEADER_LEN, MAX_MESSAGE, messages);

  // The split's first message, as one UDP_GRO datagram of same-size segments, is the GRO input.
  const n = split();
  if (n <= 0) throw new Error(`tsoSplit refused the benchmark's super-frame (returned ${n})`);
  const segmentSize = messages[2]!;
  const datagram = messages[1]!;
  const perDatagram = Math.round(datagram / segmentSize);
  const slotSize = HEADROOM + 65535;
  const rxSlab = Buffer.alloc(slotSize);
  dst.copy(rxSlab, HEADROOM, messages[0]!, messages[0]! + datagram);
  const lengths = Uint32Array.of(datagram);
  const segSizes = Uint16Array.of(segmentSize);
  const srcAddrs = new Uint8Array(16);
  srcAddrs.set([0xff, 0xff, 198, 18, 0, 1], 10);
  const cursor = new Uint32Array(4);
  const out = Buffer.alloc(8 * (FRAME_LEN + 64));
  const maxRecords = 128;
  const records = new Uint32Array(maxRecords * GRO_RECORD);
  const coalesce = (): number => {
    cursor.fill(0);
    let total = 0;
    for (let guard = 0; cursor[0]! < 1 && guard < 64; guard++) {
      const r = addon.groCoalesce(rxSlab, slotSize, HEADROOM, lengths, segSizes, srcAddrs, 1, VXLAN_HEADER_LEN, cursor, out, records, maxRecords, 0);
      if (r <= 0) break;
      total += r;
    }
    return total;
  };
  const merged = coalesce();
  if (merged !== 1 || records[4] !== perDatagram) {
    throw new Error(`groCoalesce made ${merged} records (first of ${records[4]} packets) from ${perDatagram} segments of one flow; expected 1 of ${perDatagram}`);
  }

  // Per segment, so the figures compare with the per-frame encap and forwarder benchmarks.
  const results = await runTasks(
    [
      {
        name: `tsoSplit, 64 KiB TCP/IPv4 super-frame -> ${SEGMENTS} VXLAN segments (per segment)`,
        opsPerCall: SEGMENTS,
        fn: () => {
          sink += split();
        },
      },
      {
        name: `groCoalesce, UDP_GRO datagram of ${perDatagram} VXLAN segments -> 1 super-frame (per segment)`,
        opsPerCall: perDatagram,
        fn: () => {
          sink += coalesce();
        },
      },
    ],
    500,
  );
  if (sink === 0.5) console.log(sink);
  return results;
}

if (isEntry(import.meta.url)) {
  const results = await run();
  printResults("Native TSO split / GRO coalesce micro-benchmark", results);
  const [split, gro] = [results[0]!, results[1]!];
  console.log(`one core: tsoSplit ${((MSS * 8) / split.nsPerOp).toFixed(1)} Gbit/s, groCoalesce ${((MSS * 8) / gro.nsPerOp).toFixed(1)} Gbit/s of TCP payload`);
}
