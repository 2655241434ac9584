import { describe, expect, it } from "vitest";
import {
  checkGre, checkGreTeb, GRE_FLAG_C, GRE_FLAG_K, GRE_FLAG_S, GRE_PROTO_IPV4, GRE_PROTO_TEB, greChecksum, greFlags,
  greFlagsFor, greHeaderLength, greHeaderLengthFor, greKey, greKeyOffset, GreReason, greProtocol, greSeq,
  greSeqOffset, greVersion, setGreKey, setGreSeq, writeGreHeader,
} from "../../../src/wire/gre.js";
import { GRE_ICMP } from "./vectors.js";

const GRE = 34; // GRE header offset in GRE_ICMP; the packet runs to the end (16 + 50 bytes)
const GRE_LEN = GRE_ICMP.length - GRE;

describe("GRE header", () => {
  it("reads the fields tshark decoded: flags 0xb000, TEB, checksum 0x3ad0, key 42, seq 1", () => {
    expect(checkGre(GRE_ICMP, GRE, GRE_LEN)).toBeNull();
    expect(checkGreTeb(GRE_ICMP, GRE, GRE_LEN)).toBeNull();
    expect(greFlags(GRE_ICMP, GRE)).toBe(0xb000);
    expect(greVersion(GRE_ICMP, GRE)).toBe(0);
    expect(greProtocol(GRE_ICMP, GRE)).toBe(GRE_PROTO_TEB);
    expect(greChecksum(GRE_ICMP, GRE)).toBe(0x3ad0);
    expect(greKey(GRE_ICMP, GRE)).toBe(42);
    expect(greSeq(GRE_ICMP, GRE)).toBe(1);
  });

  it("is 4 bytes plus 4 for each of checksum, key and sequence, in that order", () => {
    expect(greHeaderLength(0)).toBe(4);
    expect(greHeaderLength(GRE_FLAG_C)).toBe(8);
    expect(greHeaderLength(GRE_FLAG_K)).toBe(8);
    expect(greHeaderLength(GRE_FLAG_K | GRE_FLAG_S)).toBe(12);
    expect(greHeaderLength(GRE_FLAG_C | GRE_FLAG_K | GRE_FLAG_S)).toBe(16);
    expect([greKeyOffset(GRE_FLAG_K), greKeyOffset(GRE_FLAG_C | GRE_FLAG_K)]).toEqual([4, 8]);
    expect([greSeqOffset(GRE_FLAG_S), greSeqOffset(GRE_FLAG_K | GRE_FLAG_S), greSeqOffset(0xb000)]).toEqual([4, 8, 12]);
  });

  it("writes the header tshark accepted, with the checksum over header and payload", () => {
    const buf = Buffer.from(GRE_ICMP.subarray(GRE));
    buf.fill(0xee, 0, 16);
    expect(writeGreHeader(buf, 0, { checksum: true, key: 42, seq: 1 }, GRE_LEN - 16)).toBe(16);
    expect(buf).toEqual(GRE_ICMP.subarray(GRE));
  });

  it("writes a plain 4-byte header and a keyed one without a checksum", () => {
    const buf = Buffer.alloc(12, 0xee);
    expect(writeGreHeader(buf, 0, { checksum: false }, 0)).toBe(4);
    expect(buf.subarray(0, 4).toString("hex")).toBe("00006558");
    expect(writeGreHeader(buf, 0, { checksum: false, key: 0xdeadbeef, seq: 7 }, 0)).toBe(12);
    expect(buf.toString("hex")).toBe("30006558deadbeef00000007");
    expect(checkGre(buf, 0, 12)).toBeNull();
    expect(writeGreHeader(buf, 0, { checksum: false, protocol: GRE_PROTO_IPV4 }, 0)).toBe(4);
    expect(buf.subarray(0, 4).toString("hex")).toBe("00000800");
  });

  it("derives flags and length from the options once", () => {
    expect(greFlagsFor({ checksum: true, key: 1, seq: 2 })).toBe(GRE_FLAG_C | GRE_FLAG_K | GRE_FLAG_S);
    expect(greHeaderLengthFor({ checksum: false, key: 0 })).toBe(8);
  });

  it("drops a packet whose checksum does not verify", () => {
    const buf = Buffer.from(GRE_ICMP.subarray(GRE));
    buf[buf.length - 1] ^= 1; // tshark too reports gre.checksum.status bad for this flip
    expect(checkGre(buf, 0, buf.length)).toBe(GreReason.badChecksum);
  });

  it("drops a packet with version other than 0", () => {
    const buf = Buffer.from("00016558", "hex");
    expect(checkGre(buf, 0, 4)).toBe(GreReason.badVersion);
  });

  it("drops a packet with the RFC 1701 routing or strict-source-route bits", () => {
    expect(checkGre(Buffer.from("40006558", "hex"), 0, 4)).toBe(GreReason.unsupportedFlags);
    expect(checkGre(Buffer.from("08006558", "hex"), 0, 4)).toBe(GreReason.unsupportedFlags);
  });

  it("ignores the reserved bits 6-12", () => {
    expect(checkGre(Buffer.from("03f86558", "hex"), 0, 4)).toBeNull();
  });

  it("drops a packet too short for the optional fields its flags announce", () => {
    const buf = Buffer.from("3000655800000001", "hex"); // K and S, but only the key fits
    expect(checkGre(buf, 0, 8)).toBe(GreReason.truncated);
    expect(checkGre(buf, 0, 3)).toBe(GreReason.truncated);
  });

  it("tells a TEB packet from one carrying IPv4", () => {
    const buf = Buffer.from("00000800", "hex");
    expect(checkGre(buf, 0, 4)).toBeNull();
    expect(checkGreTeb(buf, 0, 4)).toBe(GreReason.notTeb);
  });

  it("rewrites key and sequence in place", () => {
    const buf = Buffer.from(GRE_ICMP.subarray(GRE, GRE + 16));
    setGreKey(buf, 0, 0xffffffff);
    setGreSeq(buf, 0, 2);
    expect([greKey(buf, 0), greSeq(buf, 0)]).toEqual([0xffffffff, 2]);
  });
});

describe("GRE header as a whole", () => {
  it("has no optional fields when C, K and S are clear", () => {
    const buf = Buffer.from("00006558", "hex");
    expect(checkGre(buf, 0, 4)).toBeNull();
    expect(greFlags(buf, 0) & (GRE_FLAG_C | GRE_FLAG_K | GRE_FLAG_S)).toBe(0);
    expect(greHeaderLength(greFlags(buf, 0))).toBe(4);
  });

  it("shows where the inner frame starts", () => {
    expect(checkGre(GRE_ICMP, GRE, GRE_LEN)).toBeNull();
    const flags = greFlags(GRE_ICMP, GRE);
    expect([flags & GRE_FLAG_C, flags & GRE_FLAG_K, flags & GRE_FLAG_S]).toEqual([GRE_FLAG_C, GRE_FLAG_K, GRE_FLAG_S]);
    expect([greChecksum(GRE_ICMP, GRE), greKey(GRE_ICMP, GRE), greSeq(GRE_ICMP, GRE)]).toEqual([0x3ad0, 42, 1]);
    expect(GRE + greHeaderLength(flags)).toBe(50);
    expect(GRE_LEN - greHeaderLength(flags)).toBe(50);
  });

  it("reads the vector's options and writes the same bytes from them", () => {
    const flags = greFlags(GRE_ICMP, GRE);
    const opts = {
      protocol: greProtocol(GRE_ICMP, GRE),
      checksum: (flags & GRE_FLAG_C) !== 0,
      key: (flags & GRE_FLAG_K) !== 0 ? greKey(GRE_ICMP, GRE) : undefined,
      seq: (flags & GRE_FLAG_S) !== 0 ? greSeq(GRE_ICMP, GRE) : undefined,
    };
    expect(opts).toEqual({ protocol: GRE_PROTO_TEB, checksum: true, key: 42, seq: 1 });
    expect(greHeaderLengthFor(opts)).toBe(16);
    const buf = Buffer.from(GRE_ICMP.subarray(GRE));
    buf.fill(0, 0, 16);
    expect(writeGreHeader(buf, 0, opts, GRE_LEN - 16)).toBe(16);
    expect(buf).toEqual(GRE_ICMP.subarray(GRE));
  });

  it("refuses a frame bit flipped under the checksum", () => {
    const buf = Buffer.from(GRE_ICMP.subarray(GRE));
    buf[20] ^= 0x80;
    expect(checkGre(buf, 0, buf.length)).toBe(GreReason.badChecksum);
  });
});
