import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { PcapReader } from "../../../src/wire/pcap.js";
import { readCaptureFile } from "../../../src/wire/pcapng.js";
import { ALL_VECTORS } from "./vectors.js";

const WIRE_PCAP = readFileSync(new URL("../../vectors/wire.pcap", import.meta.url));
const WIRE_PCAPNG = readFileSync(new URL("../../vectors/wire.pcapng", import.meta.url));

/** One pcapng block in either byte order: type, total length, body padded to 4, total length. */
function block(type: number, body: Buffer, le: boolean): Buffer {
  const padded = Buffer.concat([body, Buffer.alloc((4 - (body.length % 4)) % 4)]);
  const len = 12 + padded.length;
  const head = Buffer.alloc(8);
  const tail = Buffer.alloc(4);
  if (le) {
    head.writeUInt32LE(type, 0);
    head.writeUInt32LE(len, 4);
    tail.writeUInt32LE(len, 0);
  } else {
    head.writeUInt32BE(type, 0);
    head.writeUInt32BE(len, 4);
    tail.writeUInt32BE(len, 0);
  }
  return Buffer.concat([head, padded, tail]);
}

/** A big-endian file: section header, a raw-IP interface with nanosecond timestamps, one enhanced packet. */
function bigEndianNanosecondFile(packet: Buffer, ns: bigint): Buffer {
  const shb = Buffer.alloc(16);
  shb.writeUInt32BE(0x1a2b3c4d, 0);
  shb.writeUInt16BE(1, 4);
  shb.writeBigInt64BE(-1n, 8);
  const idb = Buffer.alloc(8 + 8 + 4);
  idb.writeUInt16BE(101, 0);
  idb.writeUInt32BE(0, 4);
  idb.writeUInt16BE(9, 8); // if_tsresol
  idb.writeUInt16BE(1, 10);
  idb[12] = 9;
  const epb = Buffer.alloc(20);
  epb.writeUInt32BE(0, 0);
  epb.writeUInt32BE(Number(ns >> 32n), 4);
  epb.writeUInt32BE(Number(ns & 0xffffffffn), 8);
  epb.writeUInt32BE(packet.length, 12);
  epb.writeUInt32BE(packet.length, 16);
  return Buffer.concat([block(0x0a0d0d0a, shb, false), block(1, idb, false), block(6, Buffer.concat([epb, packet]), false)]);
}

describe("pcapng reader", () => {
  it("reads editcap's copy of wire.pcap: the same bytes, times and link type as the classic file", () => {
    const ng = readCaptureFile(WIRE_PCAPNG);
    const classic = [...new PcapReader(WIRE_PCAP)];
    expect(ng.format).toBe("pcapng");
    expect(ng.truncated).toBe(false);
    expect(ng.records.map((r) => r.data)).toEqual(ALL_VECTORS);
    expect(ng.records.map((r) => r.time)).toEqual(classic.map((r) => r.time));
    expect(ng.records.every((r) => r.linktype === 1)).toBe(true);
  });

  it("reads big-endian sections and nanosecond timestamps (if_tsresol 9)", () => {
    const packet = ALL_VECTORS[1]!.subarray(14);
    const file = readCaptureFile(bigEndianNanosecondFile(packet, 1_735_689_600_123_456_789n));
    expect(file.records).toHaveLength(1);
    expect(file.records[0]!.linktype).toBe(101);
    expect(file.records[0]!.data).toEqual(packet);
    expect(file.records[0]!.tsSec).toBe(1_735_689_600);
    expect(file.records[0]!.tsFrac).toBe(123_457);
  });

  it("says the file is cut short instead of throwing", () => {
    const file = readCaptureFile(WIRE_PCAPNG.subarray(0, WIRE_PCAPNG.length - 10));
    expect(file.truncated).toBe(true);
    expect(file.records).toHaveLength(6);
  });

  it("refuses a block whose length is not a multiple of 4, naming where", () => {
    const bad = Buffer.from(WIRE_PCAPNG);
    bad.writeUInt32LE(13, 4);
    expect(() => readCaptureFile(bad)).toThrow("malformed pcapng block at offset 0: total length 13 (a multiple of 4, at least 12)");
  });
});
