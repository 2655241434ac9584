import { describe, expect, it } from "vitest";
import { checksumUpdate32 } from "../../../src/wire/checksum.js";
import {
  checkTcp, computeTcpChecksum, fillTcpChecksum, formatTcpFlags, setTcpSeq, TCP_ACK_FLAG, TCP_PSH, TCP_SYN, tcpAck,
  tcpChecksum, tcpChecksumIsValid, tcpDstPort, tcpFlags, tcpHeaderLength, TcpReason, TcpRepr, tcpSeq, tcpSrcPort,
  TcpView, tcpWindow, setTcpChecksum,
} from "../../../src/wire/tcp.js";
import { TCP_PSH_ACK, TCP_SYN_MSS } from "./vectors.js";

const IP = 14;
const TCP = 34;

describe("TCP header", () => {
  it("reads the SYN tshark decoded: 40000 > 5201, seq 16909060, hdr 24, MSS option, checksum 0xd49b", () => {
    expect(checkTcp(TCP_SYN_MSS, TCP, 24)).toBeNull();
    expect(tcpSrcPort(TCP_SYN_MSS, TCP)).toBe(40000);
    expect(tcpDstPort(TCP_SYN_MSS, TCP)).toBe(5201);
    expect(tcpSeq(TCP_SYN_MSS, TCP)).toBe(16909060);
    expect(tcpAck(TCP_SYN_MSS, TCP)).toBe(0);
    expect(tcpHeaderLength(TCP_SYN_MSS, TCP)).toBe(24);
    expect(tcpFlags(TCP_SYN_MSS, TCP)).toBe(TCP_SYN);
    expect(tcpWindow(TCP_SYN_MSS, TCP)).toBe(64240);
    expect(tcpChecksum(TCP_SYN_MSS, TCP)).toBe(0xd49b);
  });

  it("computes the checksums tshark accepted: 0xd49b (SYN) and 0x46dc (6 bytes of data)", () => {
    expect(computeTcpChecksum(TCP_SYN_MSS, IP, TCP, 24)).toBe(0xd49b);
    expect(tcpChecksumIsValid(TCP_SYN_MSS, IP, TCP, 24)).toBe(true);
    expect(computeTcpChecksum(TCP_PSH_ACK, IP, TCP, 26)).toBe(0x46dc);
    expect(tcpChecksumIsValid(TCP_PSH_ACK, IP, TCP, 26)).toBe(true);
    expect(tcpAck(TCP_PSH_ACK, TCP)).toBe(2695938257);
    expect(tcpFlags(TCP_PSH_ACK, TCP)).toBe(TCP_PSH | TCP_ACK_FLAG);
  });

  it("notices corrupted data", () => {
    const buf = Buffer.from(TCP_PSH_ACK);
    buf[buf.length - 2] ^= 0x20;
    expect(tcpChecksumIsValid(buf, IP, TCP, 26)).toBe(false);
  });

  it("keeps the checksum right across a sequence rewrite by incremental update, as a TSO split does", () => {
    const buf = Buffer.from(TCP_PSH_ACK);
    const old = tcpSeq(buf, TCP);
    setTcpSeq(buf, TCP, old + 1448);
    setTcpChecksum(buf, TCP, checksumUpdate32(tcpChecksum(buf, TCP), old, old + 1448));
    expect(tcpChecksumIsValid(buf, IP, TCP, 26)).toBe(true);
    const full = Buffer.from(buf);
    fillTcpChecksum(full, IP, TCP, 26);
    expect(tcpChecksum(full, TCP)).toBe(tcpChecksum(buf, TCP));
  });

  it("drops a segment whose data offset is below 20 bytes or beyond the segment", () => {
    const buf = Buffer.from(TCP_SYN_MSS);
    buf[TCP + 12] = 0x40;
    expect(checkTcp(buf, TCP, 24)).toBe(TcpReason.badDataOffset);
    expect(checkTcp(TCP_SYN_MSS, TCP, 22)).toBe(TcpReason.truncated);
    expect(checkTcp(TCP_SYN_MSS, TCP, 19)).toBe(TcpReason.truncated);
  });

  it("names flags the way tshark does", () => {
    expect(formatTcpFlags(TCP_SYN | TCP_ACK_FLAG)).toBe("ACK,SYN");
    expect(formatTcpFlags(0x18)).toBe("ACK,PSH");
  });
});

describe("TcpView and TcpRepr", () => {
  it("shows the payload", () => {
    const view = TcpView.checked(TCP_PSH_ACK, TCP, 26);
    expect(view.payloadOffset).toBe(54);
    expect(view.payloadLength).toBe(6);
    expect(TCP_PSH_ACK.subarray(view.payloadOffset).toString()).toBe("hello\n");
    expect(view.checksumIsValid(IP)).toBe(true);
  });

  it("parses the SYN with its MSS option and emits the same bytes", () => {
    const repr = TcpRepr.parse(TCP_SYN_MSS, TCP, 24);
    expect(repr).toEqual({ srcPort: 40000, dstPort: 5201, seq: 16909060, ack: 0, flags: TCP_SYN, window: 64240, urgent: 0,
      options: Buffer.from("020405b4", "hex") });
    const buf = Buffer.from(TCP_SYN_MSS);
    buf.fill(0xee, TCP);
    expect(TcpRepr.emit(repr, buf, TCP)).toBe(24);
    fillTcpChecksum(buf, IP, TCP, 24);
    expect(buf).toEqual(TCP_SYN_MSS);
  });

  it("pads options to a multiple of 4 with zeros", () => {
    const repr = TcpRepr.parse(TCP_PSH_ACK, TCP, 26);
    repr.options = Buffer.from([1, 1, 1]);
    const buf = Buffer.alloc(24, 0xee);
    expect(TcpRepr.emit(repr, buf, 0)).toBe(24);
    expect(buf.subarray(20).toString("hex")).toBe("01010100");
    expect(tcpHeaderLength(buf, 0)).toBe(24);
  });
});
