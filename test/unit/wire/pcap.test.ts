import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { LINKTYPE_ETHERNET, PCAP_GLOBAL_HEADER_LEN, PcapReader, PcapWriter } from "../../../src/wire/pcap.js";
import { buildVectors, VECTOR_EPOCH_US } from "../../vectors/vectors.js";
import { ALL_VECTORS } from "./vectors.js";

// wire.pcap was written by PcapWriter and read by tshark 4.0.17 / capinfos ("Wireshark/tcpdump/... - pcap",
// microseconds, snaplen 262144, 7 packets, first packet 2025-01-01 00:00:00.000000). wire-nsec.pcap is the same
// capture rewritten by an independent writer: `editcap -F nsecpcap wire.pcap wire-nsec.pcap`.
const WIRE_PCAP = readFileSync(new URL("../../vectors/wire.pcap", import.meta.url));
const WIRE_NSEC_PCAP = readFileSync(new URL("../../vectors/wire-nsec.pcap", import.meta.url));

function writeAll(): Buffer {
  const chunks: Buffer[] = [];
  const writer = new PcapWriter({ write: (c: Buffer) => chunks.push(c) });
  buildVectors().forEach((f, i) => writer.write(f, 0, f.length, VECTOR_EPOCH_US + i * 1000));
  expect(writer.packets).toBe(7);
  expect(writer.bytes).toBe(WIRE_PCAP.length);
  return Buffer.concat(chunks);
}

/** The chunks a writer hands its sink: the global header, then one per record. */
function chunksOf(write: (w: PcapWriter) => void = () => {}, snaplen?: number): Buffer[] {
  const chunks: Buffer[] = [];
  write(new PcapWriter({ write: (c: Buffer) => chunks.push(c) }, LINKTYPE_ETHERNET, snaplen));
  return chunks;
}

describe("pcap writer", () => {
  it("writes the file tshark read, byte for byte", () => {
    expect(writeAll()).toEqual(WIRE_PCAP);
  });

  it("starts with a little-endian microsecond header: version 2.4, snaplen 262144, Ethernet", () => {
    expect(chunksOf()[0]!.toString("hex")).toBe("d4c3b2a1020004000000000000000000000004000" + "1000000");
  });

  it("writes a record header of seconds, microseconds, captured and original length", () => {
    const [, record] = chunksOf((w) => w.write(ALL_VECTORS[0], 0, 92, 1_735_689_600_001_000));
    expect(record!.subarray(0, 16).toString("hex")).toBe("8085746" + "7e80300005c0000005c000000");
  });

  it("cuts a packet at the snaplen but records its original length", () => {
    const [header, record] = chunksOf((w) => w.write(ALL_VECTORS[0], 0, 92, 5_000_001), 64);
    expect(header!.readUInt32LE(16)).toBe(64);
    expect(record!.subarray(16)).toEqual(ALL_VECTORS[0].subarray(0, 64));
    expect(record!.length).toBe(16 + 64);
    expect(record!.readUInt32LE(0)).toBe(5);
    expect(record!.readUInt32LE(4)).toBe(1);
    expect(record!.readUInt32LE(8)).toBe(64);
    expect(record!.readUInt32LE(12)).toBe(92);
  });

  it("copies the packet, so reusing the slab afterwards does not change the record", () => {
    const slab = Buffer.from(ALL_VECTORS[0]);
    const [, record] = chunksOf((w) => w.write(slab, 0, slab.length, 0));
    slab.fill(0);
    expect(record!.subarray(16)).toEqual(ALL_VECTORS[0]);
  });
});

describe("pcap reader", () => {
  it("reads back every frame and timestamp of the vector file", () => {
    const reader = new PcapReader(WIRE_PCAP);
    expect(reader.header).toEqual({ littleEndian: true, nanosecond: false, versionMajor: 2, versionMinor: 4, snaplen: 262144,
      linktype: LINKTYPE_ETHERNET });
    const records = [...reader];
    expect(records.map((r) => r.data)).toEqual(ALL_VECTORS);
    expect(records.map((r) => r.tsFrac)).toEqual([0, 1000, 2000, 3000, 4000, 5000, 6000]);
    expect(records[0].tsSec).toBe(1_735_689_600);
    expect(records[6].time).toBeCloseTo(1_735_689_600.006, 6);
    expect(records[1].offset).toBe(PCAP_GLOBAL_HEADER_LEN + 16 + 92);
    expect(reader.truncated).toBe(false);
  });

  it("reads a nanosecond pcap written by editcap", () => {
    const reader = new PcapReader(WIRE_NSEC_PCAP);
    expect(reader.header.nanosecond).toBe(true);
    const records = [...reader.records()];
    expect(records.map((r) => r.data)).toEqual(ALL_VECTORS);
    expect(records[3].tsFrac).toBe(3_000_000);
    expect(records[3].time).toBeCloseTo(1_735_689_600.003, 6);
  });

  it("reads a big-endian file", () => {
    const le = WIRE_PCAP.subarray(0, 24 + 16 + 92);
    const be = Buffer.from(le);
    for (const at of [0, 8, 12, 16, 20, 24, 28, 32, 36]) be.writeUInt32BE(le.readUInt32LE(at), at);
    be.writeUInt16BE(2, 4);
    be.writeUInt16BE(4, 6);
    const reader = new PcapReader(be);
    expect(reader.header.littleEndian).toBe(false);
    expect(reader.header.linktype).toBe(1);
    const [record] = [...reader];
    expect(record.data).toEqual(ALL_VECTORS[0]);
    expect(record.tsSec).toBe(1_735_689_600);
  });

  it("stops at a cut-off last record and says so", () => {
    const reader = new PcapReader(WIRE_PCAP.subarray(0, WIRE_PCAP.length - 5));
    expect([...reader].length).toBe(6);
    expect(reader.truncated).toBe(true);
    const headerOnly = new PcapReader(WIRE_PCAP.subarray(0, 24 + 10));
    expect([...headerOnly].length).toBe(0);
    expect(headerOnly.truncated).toBe(true);
  });

  it("says how to convert a pcapng file", () => {
    expect(() => new PcapReader(Buffer.from("0a0d0d0a1c0000004d3c2b1a", "hex"))).toThrow(/pcapng.*editcap -F pcap/);
  });

  it("refuses something that is not a capture", () => {
    expect(() => new PcapReader(Buffer.from("hello world, not a pcap file"))).toThrow(/not a pcap file: magic number 0x68656c6c/);
    expect(() => new PcapReader(Buffer.from("d4c3b2a1", "hex"))).toThrow(/truncated pcap file/);
  });
});
