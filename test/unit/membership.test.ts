// etcd membership without etcd: key layout and values, per-VNI flood plans, MAC claims, and the changes applied to a switch.
import { describe, expect, it } from "vitest";
import { decodeHost, decodeMacs, encodeHost, encodeMacs, hostKey, macsKey, normalizePrefix, parseKey } from "../../src/control/membership/records.js";
import { macChanges, MembershipView, peerChanges, type LocalSide } from "../../src/control/membership/view.js";
import { interfaceOfAddress } from "../../src/io/underlay.js";
import { ConfigError, validateConfig } from "../../src/control/config.js";

const P = "/vxswitch/";
const local: LocalSide = { address: "198.18.0.1", encap: "vxlan", port: 4789, vnis: [42, 43] };
const host = (address: string, vnis: number[], extra: Partial<{ port: number; encap: "vxlan" | "gre" }> = {}): string =>
  encodeHost({ address, port: extra.port ?? 4789, encap: extra.encap ?? "vxlan", vnis });

describe("membership keys and values", () => {
  it("names hosts and MAC lists by address (and VNI) under the prefix", () => {
    expect(normalizePrefix("/ovl")).toBe("/ovl/");
    expect(hostKey(P, "198.18.0.1")).toBe("/vxswitch/hosts/198.18.0.1");
    expect(parseKey(P, macsKey(P, "2001:2::1", 42))).toEqual({ kind: "macs", address: "2001:2::1", vni: 42 });
    expect(parseKey(P, "/vxswitch/hosts/not-an-ip")).toBeUndefined();
    expect(parseKey(P, "/other/hosts/198.18.0.1")).toBeUndefined();
    expect(parseKey(P, "/vxswitch/macs/198.18.0.1/x")).toBeUndefined();
  });

  it("refuses a host record that claims another address than its key's", () => {
    expect(decodeHost("198.18.0.2", host("198.18.0.9", [42]))).toMatch(/differs from the key/);
    expect(decodeHost("198.18.0.2", "{not json")).toBe("not a JSON object");
    expect(decodeHost("198.18.0.2", host("198.18.0.2", [43, 42, 42]))).toEqual({ address: "198.18.0.2", port: 4789, encap: "vxlan", vnis: [42, 43] });
  });

  it("keeps unicast MACs only, lower-cased, at most the limit", () => {
    expect(decodeMacs(encodeMacs(["52:54:00:00:00:01", "01:00:5e:00:00:01", "52:54:00:00:00:0A", "bad"]), 10)).toEqual(["52:54:00:00:00:01", "52:54:00:00:00:0a"]);
    expect(decodeMacs(encodeMacs(["52:54:00:00:00:01", "52:54:00:00:00:02"]), 1)).toEqual(["52:54:00:00:00:01"]);
    expect(decodeMacs("[]", 10)).toMatch(/macs/);
  });
});

describe("membership view", () => {
  const view = (): MembershipView => {
    const v = new MembershipView(P, 100);
    v.put(hostKey(P, "198.18.0.1"), host("198.18.0.1", [42, 43]), 1);
    v.put(hostKey(P, "198.18.0.2"), host("198.18.0.2", [42, 43]), 2);
    v.put(hostKey(P, "198.18.0.3"), host("198.18.0.3", [42, 44]), 3);
    return v;
  };

  it("floods each local VNI only to the other hosts that serve it", () => {
    expect(view().floodPlan(local)).toEqual(new Map([[42, new Set(["198.18.0.2", "198.18.0.3"])], [43, new Set(["198.18.0.2"])]]));
  });

  it("leaves out hosts on another encapsulation or UDP port, and names them", () => {
    const v = view();
    v.put(hostKey(P, "198.18.0.4"), host("198.18.0.4", [42], { port: 8472 }), 4);
    v.put(hostKey(P, "198.18.0.5"), host("198.18.0.5", [42], { encap: "gre", port: 0 }), 5);
    expect(v.floodPlan(local).get(42)).toEqual(new Set(["198.18.0.2", "198.18.0.3"]));
    expect(v.incompatible(local)).toEqual(["198.18.0.4 (vxlan port 8472)", "198.18.0.5 (gre)"]);
  });

  it("drops a host whose key is deleted (lease expired)", () => {
    const v = view();
    expect(v.delete(hostKey(P, "198.18.0.3"))).toBe(true);
    expect(v.floodPlan(local).get(42)).toEqual(new Set(["198.18.0.2"]));
  });

  it("gives a MAC claimed by two hosts to the newer publication (a move)", () => {
    const v = view();
    v.put(macsKey(P, "198.18.0.3", 42), encodeMacs(["52:54:00:00:00:03"]), 10);
    v.put(macsKey(P, "198.18.0.2", 42), encodeMacs(["52:54:00:00:00:03", "52:54:00:00:00:02"]), 11);
    const plan = v.macPlan(v.floodPlan(local));
    expect(plan.get(42)).toEqual(new Map([["52:54:00:00:00:03", "198.18.0.2"], ["52:54:00:00:00:02", "198.18.0.2"]]));
  });

  it("takes no MACs from a host that does not serve the VNI here, nor refused values", () => {
    const v = view();
    v.put(macsKey(P, "198.18.0.3", 43), encodeMacs(["52:54:00:00:00:03"]), 10);
    expect(v.put(macsKey(P, "198.18.0.2", 42), "nonsense", 11)).toBe(false);
    expect(v.macPlan(v.floodPlan(local)).size).toBe(0);
    expect(v.refused).toHaveLength(1);
  });
});

describe("changes applied to the switch", () => {
  it("adds per VNI, takes a host out of a VNI it left, and drops a host that serves none of ours", () => {
    const plan = new Map([[42, new Set(["198.18.0.2", "198.18.0.4"])], [43, new Set<string>()]]);
    const applied = new Map([["198.18.0.2", new Set([42, 43])], ["198.18.0.3", new Set([42])]]);
    expect(peerChanges(plan, applied)).toEqual({ add: [["198.18.0.4", 42]], leave: [["198.18.0.2", 43]], drop: ["198.18.0.3"] });
  });

  it("installs new and moved MACs and withdraws those gone or moved", () => {
    const plan = new Map([[42, new Map([["m1", "198.18.0.2"], ["m2", "198.18.0.3"]])]]);
    const installed = new Map([[42, new Map([["m1", "198.18.0.3"], ["m3", "198.18.0.2"]])]]);
    expect(macChanges(plan, installed)).toEqual({
      install: [[42, "m1", "198.18.0.2"], [42, "m2", "198.18.0.3"]],
      withdraw: [[42, "m1", "198.18.0.3"], [42, "m3", "198.18.0.2"]],
    });
  });
});

describe("membership.etcd configuration", () => {
  const base = { local: "198.18.0.1", segments: [{ vni: 42, tap: "vx42" }] };
  const problems = (etcd: unknown, extra: object = {}): string[] => {
    try {
      validateConfig({ ...base, ...extra, membership: { etcd } });
      return [];
    } catch (err) {
      return (err as ConfigError).problems;
    }
  };

  it("fills in the defaults", () => {
    const cfg = validateConfig({ ...base, membership: { etcd: { endpoints: ["http://198.18.0.250:2379"] } } });
    expect(cfg.membership?.etcd).toEqual({ endpoints: ["http://198.18.0.250:2379"], prefix: "/vxswitch/", leaseSeconds: 10, publishMacs: false, maxMacsPerVni: 1024, publishIntervalMs: 200 });
  });

  it("refuses unknown keys, bad URLs, https without a CA, and half a client certificate", () => {
    expect(problems({ endpoints: ["http://a:2379"], lease: 3 })).toEqual(["membership.etcd.lease: unknown key"]);
    expect(problems({ endpoints: ["etcd:2379"] })[0]).toMatch(/etcd client URL/);
    expect(problems({ endpoints: ["https://a:2379"] })[0]).toMatch(/https endpoints need tls/);
    expect(problems({ endpoints: ["https://a:2379"], tls: { ca: "/ca.crt", cert: "/c.crt" } })[0]).toMatch(/both cert and key/);
    expect(problems({ endpoints: ["http://a:2379"] }, { group: "239.1.1.1" })[0]).toMatch(/use one/);
  });
});

describe("own address check", () => {
  it("knows loopback is local and a stranger's address is not", () => {
    expect(interfaceOfAddress("127.0.0.1") !== undefined).toBe(true);
    expect(interfaceOfAddress("198.19.255.254") !== undefined).toBe(false);
  });
});
