// Config validation of multicast group mode (group, ttl, dev, maxLearnedPeers) and trunk segments (trunk, vlans).
import { describe, expect, it } from "vitest";
import { ConfigError, segmentPorts, validateConfig } from "../../../src/control/config.js";
import { configFromFlags, trunkFromFlags } from "../../../src/cli/up.js";

const base = { local: "198.18.0.1", segments: [{ vni: 42, tap: "vxtap42" }] };

/** The problems validateConfig reports, one "path: message" each. */
function problems(input: unknown): string[] {
  try {
    validateConfig(input);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe("multicast group mode in the config", () => {
  it("accepts an IPv4 group with ttl and dev, and defaults the learned-peer cap", () => {
    const cfg = validateConfig({ ...base, group: "239.1.1.1", ttl: 4, dev: "u0" });
    expect(cfg).toMatchObject({ group: "239.1.1.1", ttl: 4, dev: "u0", maxLearnedPeers: 1024 });
  });

  it("accepts an IPv6 group (ff0X::) with an IPv6 local address", () => {
    expect(validateConfig({ ...base, local: "2001:2::1", group: "ff05::42" }).group).toBe("ff05::42");
    expect(validateConfig({ ...base, local: "2001:2::1", group: "ff02::1:2" }).group).toBe("ff02::1:2");
  });

  it("rejects a unicast address as the group", () => {
    expect(problems({ ...base, group: "198.18.0.9" })).toEqual(["group: must be a multicast address (224.0.0.0/4 or ff00::/8)"]);
    expect(problems({ ...base, local: "2001:2::1", group: "2001:2::9" })).toEqual(["group: must be a multicast address (224.0.0.0/4 or ff00::/8)"]);
  });

  it("rejects a group of the other IP family than local", () => {
    expect(problems({ ...base, group: "ff05::42" })).toEqual(["group: group ff05::42 is not the same IP family as local 198.18.0.1"]);
  });

  it("rejects group mode with GRE", () => {
    const p = problems({ local: "198.18.0.1", encap: "gre", group: "239.1.1.1", segments: [{ key: 1, tap: "gretap1" }] });
    expect(p).toContain("group: multicast group mode is VXLAN's; GRE needs peers");
  });

  it("rejects ttl and dev without a group", () => {
    expect(problems({ ...base, ttl: 2 })).toEqual(["ttl: ttl applies to multicast group mode: give a group too"]);
    expect(problems({ ...base, dev: "u0" })).toEqual(["dev: dev applies to multicast group mode: give a group too"]);
  });

  it("rejects a ttl outside 1..255 and a learned-peer cap below 1", () => {
    expect(problems({ ...base, group: "239.1.1.1", ttl: 0 })).toHaveLength(1);
    expect(problems({ ...base, group: "239.1.1.1", ttl: 256 })).toHaveLength(1);
    expect(problems({ ...base, group: "239.1.1.1", maxLearnedPeers: 0 })).toHaveLength(1);
  });

  it("takes --group, --ttl, --dev and --max-learned-peers from the command line", () => {
    const cfg = configFromFlags({ local: "198.18.0.1", vni: 42, tap: "vxtap42", group: "239.1.1.1", ttl: 3, dev: "u0", maxLearnedPeers: 8 });
    expect(cfg).toMatchObject({ group: "239.1.1.1", ttl: 3, dev: "u0", maxLearnedPeers: 8, peers: [] });
  });
});

describe("trunk segments in the config", () => {
  const trunk = { tap: "vxtrunk0", bridge: "brtrunk", trunk: true, vlans: { "100": 1000, "200": 2000 } };

  it("accepts a trunk TAP mapping VLAN 100 -> VNI 1000 and VLAN 200 -> VNI 2000", () => {
    const cfg = validateConfig({ local: "198.18.0.1", segments: [trunk] });
    expect(cfg.segments[0]).toMatchObject(trunk);
  });

  it("expands a trunk into one port per VLAN, in VLAN order, next to access segments", () => {
    const cfg = validateConfig({ local: "198.18.0.1", segments: [{ vni: 42, tap: "vxtap42" }, { ...trunk, vlans: { "200": 2000, "100": 1000 } }] });
    expect(segmentPorts(cfg)).toEqual([
      { id: 42, tap: "vxtap42", vlan: 0, segment: 0 },
      { id: 1000, tap: "vxtrunk0", vlan: 100, segment: 1 },
      { id: 2000, tap: "vxtrunk0", vlan: 200, segment: 1 },
    ]);
  });

  it("takes the ids of a GRE trunk as keys", () => {
    const cfg = validateConfig({ local: "198.18.0.1", encap: "gre", segments: [{ tap: "vxtrunk0", trunk: true, vlans: { "100": 4_000_000_000 } }] });
    expect(segmentPorts(cfg)).toEqual([{ id: 4_000_000_000, tap: "vxtrunk0", vlan: 100, segment: 0 }]);
  });

  it.each([
    ["0", 'segments[0].vlans.0: VLAN "0" is not a VLAN id 1..4094'],
    ["4095", 'segments[0].vlans.4095: VLAN "4095" is not a VLAN id 1..4094'],
    ["abc", 'segments[0].vlans.abc: VLAN "abc" is not a VLAN id 1..4094'],
    ["-1", 'segments[0].vlans.-1: VLAN "-1" is not a VLAN id 1..4094'],
  ])("rejects VLAN %s", (vlan, message) => {
    expect(problems({ local: "198.18.0.1", segments: [{ ...trunk, vlans: { [vlan]: 1000 } }] })).toEqual([message]);
  });

  it("accepts VLANs 1 and 4094", () => {
    expect(problems({ local: "198.18.0.1", segments: [{ ...trunk, vlans: { "1": 10, "4094": 20 } }] })).toEqual([]);
  });

  it("rejects the same VLAN written twice", () => {
    expect(problems({ local: "198.18.0.1", segments: [{ ...trunk, vlans: { "100": 1000, "0100": 2000 } }] })).toEqual([
      'segments[0].vlans.0100: VLAN 100 is listed twice ("100" and "0100")',
    ]);
  });

  it("rejects two VLANs on the same VNI", () => {
    expect(problems({ local: "198.18.0.1", segments: [{ ...trunk, vlans: { "100": 1000, "200": 1000 } }] })).toEqual([
      "segments[0].vlans.200: VNI 1000 is used twice (VLAN 100 of vxtrunk0 and VLAN 200 of vxtrunk0)",
    ]);
  });

  it("rejects a trunk VLAN on a VNI that an access segment already has", () => {
    expect(problems({ local: "198.18.0.1", segments: [{ vni: 1000, tap: "vxtap1000" }, trunk] })).toEqual([
      "segments[1].vlans.100: VNI 1000 is used twice (segments.0 and VLAN 100 of vxtrunk0)",
    ]);
  });

  it("rejects a VNI beyond 24 bits on a VXLAN trunk", () => {
    expect(problems({ local: "198.18.0.1", segments: [{ ...trunk, vlans: { "100": 0x1000000 } }] })).toEqual([
      "segments[0].vlans.100: VNI 16777216 of VLAN 100 is out of range (24 bits: 0..16777215)",
    ]);
  });

  it("rejects vlans without trunk: true, and a trunk without vlans", () => {
    expect(problems({ local: "198.18.0.1", segments: [{ tap: "vxtrunk0", vlans: { "100": 1000 } }] })).toEqual([
      "segments[0].trunk: vlans belong to a trunk segment: add trunk: true",
    ]);
    expect(problems({ local: "198.18.0.1", segments: [{ tap: "vxtrunk0", trunk: true }] })).toEqual([
      'segments[0].vlans: a trunk segment maps at least one VLAN to a segment id, e.g. vlans: { "100": 1000 }',
    ]);
    expect(problems({ local: "198.18.0.1", segments: [{ tap: "vxtrunk0", trunk: true, vlans: {} }] })).toHaveLength(1);
  });

  it("rejects a vni or an address on a trunk segment", () => {
    expect(problems({ local: "198.18.0.1", segments: [{ ...trunk, vni: 42 }] })).toEqual(["segments[0].vni: a trunk segment takes its vnis from vlans, one per VLAN"]);
    expect(problems({ local: "198.18.0.1", segments: [{ ...trunk, address: "10.42.0.1/24" }] })).toEqual([
      "segments[0].address: a trunk carries tagged frames only; put addresses on VLAN interfaces of the bridge",
    ]);
  });
});

describe("--trunk and --vlan on the command line", () => {
  it("turns --vlan 100:1000 --vlan 200:2000 into a trunk segment (--vlan implies --trunk)", () => {
    expect(trunkFromFlags({ vlan: ["100:1000", "200:2000"] })).toEqual({ trunk: true, vlans: { "100": 1000, "200": 2000 } });
    const cfg = configFromFlags({ local: "198.18.0.1", tap: "vxtrunk0", trunk: true, vlan: ["100:1000", "200:2000"] });
    expect(segmentPorts(cfg).map((p) => [p.vlan, p.id])).toEqual([
      [100, 1000],
      [200, 2000],
    ]);
  });

  it("rejects a --vlan that is not VLAN:ID, and a VLAN given twice", () => {
    expect(() => trunkFromFlags({ vlan: ["100"] })).toThrow("--vlan 100: expected VLAN:ID, e.g. --vlan 100:1000");
    expect(() => trunkFromFlags({ vlan: ["100:1000", "100:2000"] })).toThrow("--vlan 100:2000: VLAN 100 is mapped twice");
  });

  it("rejects --trunk without any --vlan, through the config check", () => {
    expect(() => configFromFlags({ local: "198.18.0.1", tap: "vxtrunk0", trunk: true })).toThrow(/a trunk segment maps at least one VLAN/);
  });

  it("rejects --vni together with --vlan", () => {
    expect(() => configFromFlags({ local: "198.18.0.1", tap: "vxtrunk0", vni: 42, vlan: ["100:1000"] })).toThrow(/a trunk segment takes its vnis from vlans/);
  });
});
