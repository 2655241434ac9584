// The lab library's parsers, on recorded tool output (no root needed).
import { describe, expect, it } from "vitest";
import { parseIperfJson, parsePing, percentile } from "../../lab/traffic.js";
import { isBenchmarkingV4, isBenchmarkingV6 } from "../../lab/topology.js";
import { parseFdbShow, parseStats, totalDrops, upArgs } from "../../lab/vxswitch-process.js";

const PING_OK = `PING 10.42.0.2 (10.42.0.2) 56(84) bytes of data.
64 bytes from 10.42.0.2: icmp_seq=1 ttl=64 time=0.219 ms
64 bytes from 10.42.0.2: icmp_seq=2 ttl=64 time=0.043 ms
64 bytes from 10.42.0.2: icmp_seq=3 ttl=64 time=0.041 ms

--- 10.42.0.2 ping statistics ---
3 packets transmitted, 3 received, 0% packet loss, time 410ms
rtt min/avg/max/mdev = 0.041/0.101/0.219/0.083 ms
`;

const PING_DUP = `PING 10.42.0.255 (10.42.0.255) 56(84) bytes of data.
64 bytes from 10.42.0.2: icmp_seq=1 ttl=64 time=0.500 ms
64 bytes from 10.42.0.2: icmp_seq=1 ttl=64 time=0.900 ms (DUP!)

--- 10.42.0.255 ping statistics ---
2 packets transmitted, 1 received, +1 duplicates, 50% packet loss, time 1001ms
`;

const PING_NONE = `PING 10.42.0.4 (10.42.0.4) 56(84) bytes of data.

--- 10.42.0.4 ping statistics ---
3 packets transmitted, 0 received, 100% packet loss, time 2049ms
`;

describe("parsePing", () => {
  it("reads transmitted, received, loss and per-reply round-trip times", () => {
    const r = parsePing(PING_OK);
    expect([r.transmitted, r.received, r.lossPercent, r.duplicates]).toEqual([3, 3, 0, 0]);
    expect(r.rttsMs).toEqual([0.219, 0.043, 0.041]);
    expect(r.rttAvgMs).toBeCloseTo(0.101, 3);
    expect(r.rttP99Ms).toBe(0.219);
  });

  it("counts duplicate replies apart from the round-trip times", () => {
    const r = parsePing(PING_DUP);
    expect([r.transmitted, r.received, r.duplicates]).toEqual([2, 1, 1]);
    expect(r.rttsMs).toEqual([0.5]);
  });

  it("reports 100 % loss and no round-trip time when nothing answers", () => {
    const r = parsePing(PING_NONE);
    expect([r.transmitted, r.received, r.lossPercent]).toEqual([3, 0, 100]);
    expect(r.rttAvgMs).toBeUndefined();
  });
});

describe("percentile", () => {
  it("uses the nearest rank", () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(values, 99)).toBe(99);
    expect(percentile(values, 50)).toBe(50);
    expect(percentile([5], 99)).toBe(5);
    expect(percentile([], 99)).toBeUndefined();
  });
});

describe("parseIperfJson", () => {
  it("takes the receiver's rate as goodput and the sender's retransmits", () => {
    const json = JSON.stringify({
      start: { tcp_mss_default: 1398 },
      end: {
        sum_sent: { seconds: 3, bytes: 937_500_000, bits_per_second: 2.5e9, retransmits: 7 },
        sum_received: { seconds: 3, bits_per_second: 2.4e9 },
      },
    });
    expect(parseIperfJson(json)).toEqual({ bitsPerSecond: 2.4e9, sentBitsPerSecond: 2.5e9, retransmits: 7, lostPercent: 0, seconds: 3, bytesSent: 937_500_000, mss: 1398 });
  });

  it("surfaces iperf3's own error", () => {
    expect(() => parseIperfJson(JSON.stringify({ start: {}, intervals: [], end: {}, error: "unable to connect to server" }))).toThrow(/unable to connect/);
  });
});

describe("parseFdbShow", () => {
  it("reads bridge-fdb-style lines: local on the TAP, remote behind an underlay address", () => {
    const entries = parseFdbShow(
      ["52:54:00:42:01:00 dev vxtap42 vni 42 self", "52:54:00:42:02:00 dst 198.18.0.2 vni 42 self", "", "garbage"].join("\n"),
    );
    expect(entries.map(({ mac, dev, dst, vni, flags }) => ({ mac, dev, dst, vni, flags }))).toEqual([
      { mac: "52:54:00:42:01:00", dev: "vxtap42", dst: undefined, vni: 42, flags: ["self"] },
      { mac: "52:54:00:42:02:00", dev: undefined, dst: "198.18.0.2", vni: 42, flags: ["self"] },
    ]);
  });
});

describe("parseStats", () => {
  it("accepts the egress/ingress/fdb counters and sums drops", () => {
    const stats = parseStats(JSON.stringify({ egress: { frames: 3, bytes: 300, drops: { noRoute: 1, full: 2 } }, ingress: { frames: 1, bytes: 90, drops: {} }, fdb: { entries: 2 } }));
    expect(totalDrops(stats.egress)).toBe(3);
    expect(stats.fdb.entries).toBe(2);
  });

  it("names what is missing when the JSON has another shape", () => {
    expect(() => parseStats(JSON.stringify({ egress: {} }))).toThrow(/egress\/ingress/);
    expect(() => parseStats("not json")).toThrow(/no JSON/);
  });
});

describe("upArgs", () => {
  it("spells the vxswitch up command line, one --remote per peer", () => {
    expect(upArgs({ local: "198.18.0.1", remotes: ["198.18.0.2", "198.18.0.3"], vni: 42, tap: "vxtap42", bridge: "br0", io: "dgram", control: "/tmp/x.sock" })).toEqual(
      ["up", "--local", "198.18.0.1", "--remote", "198.18.0.2", "--remote", "198.18.0.3", "--vni", "42", "--tap", "vxtap42", "--bridge", "br0", "--io", "dgram", "--control", "/tmp/x.sock"],
    );
  });

  it("refuses peers outside the benchmarking ranges", () => {
    expect(() => upArgs({ local: "198.18.0.1", remotes: ["8.8.8.8"], vni: 42, tap: "t", control: "/tmp/x" })).toThrow(/refusing/);
  });
});

describe("benchmarking address ranges", () => {
  it("accepts 198.18.0.0/15 and 2001:2::/48 only", () => {
    expect(["198.18.0.1", "198.19.255.254"].map(isBenchmarkingV4)).toEqual([true, true]);
    expect(["198.20.0.1", "10.42.0.1", "198.18.0"].map(isBenchmarkingV4)).toEqual([false, false, false]);
    expect(["2001:2::1", "2001:0002:0000:1::5", "2001:2:0::ff"].map(isBenchmarkingV6)).toEqual([true, true, true]);
    expect(["2001:db8::1", "2001:2:1::1", "2001::2", "fe80::1"].map(isBenchmarkingV6)).toEqual([false, false, false, false]);
  });
});
