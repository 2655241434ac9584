import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { loadConfigFile, validateConfig, type Config } from "../../../src/control/config.js";
import { diffConfigs, ReloadRefused } from "../../../src/control/reload-diff.js";
import { applyDiff, Reloader, type ReloadTarget } from "../../../src/control/reload.js";

const base = (over: Partial<Record<keyof Config, unknown>> = {}): Config =>
  validateConfig({ local: "198.18.0.1", peers: ["198.18.0.2", "198.18.0.3"], segments: [{ vni: 42, tap: "vxtap42" }], ...over });

/** Records what a reload asks of the switch. */
function recorder(failOn?: string): ReloadTarget & { calls: string[] } {
  const calls: string[] = [];
  const call = (what: string): void => {
    if (failOn !== undefined && what.startsWith(failOn)) throw new Error("refused by the switch");
    calls.push(what);
  };
  return {
    calls,
    addFloodPeer: (a) => call(`peer+ ${a}`),
    removeFloodPeer: (a) => call(`peer- ${a}`),
    addStaticEntry: (id, mac, dst, dev) => call(`fdb+ ${id} ${mac.toString(16)} ${dst ?? dev}`),
    removeFdbEntry: (id, mac) => {
      call(`fdb- ${id} ${mac.toString(16)}`);
      return true;
    },
    setAgeing: (s) => call(`ageing ${s}`),
  };
}

describe("diffConfigs", () => {
  it("finds peers added and removed, static entries added, changed and removed, and a new ageing time", () => {
    const running = base({ fdb: [{ mac: "52:54:00:00:00:01", vni: 42, dst: "198.18.0.2" }, { mac: "52:54:00:00:00:02", vni: 42, dev: "vxtap42" }] });
    const next = base({
      peers: ["198.18.0.2", "198.18.0.4"],
      ageing: 60,
      fdb: [{ mac: "52:54:00:00:00:01", vni: 42, dst: "198.18.0.4" }, { mac: "52:54:00:00:00:03", vni: 42, dev: "vxtap42" }],
    });
    const diff = diffConfigs(running, next);
    expect(diff.peersAdded).toEqual(["198.18.0.4"]);
    expect(diff.peersRemoved).toEqual(["198.18.0.3"]);
    expect(diff.fdbRemoved.map((e) => e.mac)).toEqual(["52:54:00:00:00:02"]);
    expect(diff.fdbAdded.map((e) => `${e.mac} ${e.dst ?? e.dev}`)).toEqual(["52:54:00:00:00:01 198.18.0.4", "52:54:00:00:00:03 vxtap42"]);
    expect(diff.ageing).toEqual({ from: 300, to: 60 });
  });

  it("makes static entries toward a removed peer again when the file keeps them (removing a peer removes its entries)", () => {
    const fdb = [{ mac: "52:54:00:00:00:01", vni: 42, dst: "198.18.0.3" }];
    expect(diffConfigs(base({ fdb }), base({ fdb, peers: ["198.18.0.2"] })).fdbAdded).toEqual(fdb);
  });

  it("finds nothing to do in the same file", () => {
    const diff = diffConfigs(base(), base());
    expect(diff).toEqual({ peersAdded: [], peersRemoved: [], fdbAdded: [], fdbRemoved: [] });
  });

  it("refuses changes that need new TAPs or sockets, naming each with the reason", () => {
    const next = base({ segments: [{ vni: 42, tap: "vxtap42" }, { vni: 43, tap: "vxtap43" }], port: 8472, maxAddresses: 10 });
    let refused: ReloadRefused | undefined;
    try {
      diffConfigs(base(), next);
    } catch (err) {
      refused = err as ReloadRefused;
    }
    expect(refused).toBeInstanceOf(ReloadRefused);
    expect(refused!.reasons).toEqual([
      expect.stringMatching(/^port changed \(the UDP port is where the tunnel socket is bound\); restart vxswitch/),
      expect.stringMatching(/^maxAddresses changed \(maxAddresses sizes/),
      expect.stringMatching(/^segments changed \(segments .* need new devices\)/),
    ]);
  });
});

describe("applyDiff", () => {
  it("removes stale peers and entries before adding, and sets the ageing last", () => {
    const target = recorder();
    const result = applyDiff(target, diffConfigs(base({ fdb: [{ mac: "52:54:00:00:00:02", vni: 42, dst: "198.18.0.3" }] }), base({ peers: ["198.18.0.2", "198.18.0.4"], ageing: 10 })));
    expect(target.calls).toEqual(["peer- 198.18.0.3", "peer+ 198.18.0.4", "fdb- 42 525400000002", "ageing 10"]);
    expect(result.changes).toEqual(["peer 198.18.0.3 removed", "peer 198.18.0.4 added", "fdb 52:54:00:00:00:02 vni 42 dst 198.18.0.3 removed", "ageing 300 s -> 10 s"]);
    expect(result.failed).toEqual([]);
  });

  it("reports a step the switch refuses and still applies the others", () => {
    const target = recorder("peer+");
    const result = applyDiff(target, diffConfigs(base(), base({ peers: ["198.18.0.2", "198.18.0.3", "198.18.0.9"], ageing: 5 })));
    expect(result.failed).toEqual(["peer 198.18.0.9 added: refused by the switch"]);
    expect(target.calls).toEqual(["ageing 5"]);
  });
});

describe("Reloader", () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });
  const file = (text: string): string => {
    dir ??= mkdtempSync(join(tmpdir(), "vxs-reload-"));
    const path = join(dir, "vxswitch.yaml");
    writeFileSync(path, text);
    return path;
  };
  const yaml = (peers: string[]): string => `local: 198.18.0.1\npeers: [${peers.join(", ")}]\nsegments:\n  - { vni: 42, tap: vxtap42 }\n`;

  it("applies the file's difference and then runs the file's configuration", () => {
    const path = file(yaml(["198.18.0.2"]));
    const target = recorder();
    const reloader = new Reloader(path, loadConfigFile(path), target);
    writeFileSync(path, yaml(["198.18.0.2", "198.18.0.5"]));
    expect(reloader.reload().changes).toEqual(["peer 198.18.0.5 added"]);
    expect(reloader.running.peers).toEqual(["198.18.0.2", "198.18.0.5"]);
    expect(reloader.reload().changes).toEqual([]);
  });

  it("refuses a file that does not validate with the reason, touching nothing", () => {
    const path = file(yaml(["198.18.0.2"]));
    const target = recorder();
    const reloader = new Reloader(path, loadConfigFile(path), target);
    writeFileSync(path, `${yaml(["198.18.0.2", "not-an-address"])}brige: br0\n`);
    expect(() => reloader.reload()).toThrow(/^reload refused, the running state is kept: invalid configuration in \S+: peers\[1\]: must be an IPv4 or IPv6 address; brige: unknown key/);
    expect(target.calls).toEqual([]);
    expect(reloader.running.peers).toEqual(["198.18.0.2"]);
  });

  it("refuses to reload a switch started from flags", () => {
    expect(() => new Reloader(undefined, base(), recorder()).reload()).toThrow(/started from flags/);
  });
});

describe("contrib/vxswitch.yaml", () => {
  it("is a valid configuration with two segments, peers and a static entry", () => {
    const cfg = loadConfigFile(join(import.meta.dirname, "../../../contrib/vxswitch.yaml"));
    expect(cfg.segments.map((s) => s.vni)).toEqual([42, 43]);
    expect(cfg.peers.length).toBeGreaterThan(0);
    expect(cfg.fdb).toHaveLength(1);
  });

  it("is what the systemd unit starts, and the unit reloads with SIGHUP and runs with two capabilities only", () => {
    const unit = readFileSync(join(import.meta.dirname, "../../../contrib/vxswitch.service"), "utf8");
    expect(unit).toMatch(/^ExecStart=\S+vxswitch up -c \/etc\/vxswitch\/vxswitch\.yaml$/m);
    expect(unit).toMatch(/^ExecReload=\/bin\/kill -HUP \$MAINPID$/m);
    expect(unit).toMatch(/^CapabilityBoundingSet=CAP_NET_ADMIN CAP_NET_RAW$/m);
    expect(unit).toMatch(/^AmbientCapabilities=CAP_NET_ADMIN CAP_NET_RAW$/m);
  });
});

describe("static fdb entries in the config", () => {
  it("must name a segment and exactly one of dst or dev", () => {
    expect(() => base({ fdb: [{ mac: "52:54:00:00:00:01", vni: 7, dst: "198.18.0.2" }] })).toThrow(/fdb\[0\]\.vni: no segment has VNI 7/);
    expect(() => base({ fdb: [{ mac: "52:54:00:00:00:01", vni: 42 }] })).toThrow(/fdb\[0\]: give exactly one of dst/);
    expect(() => base({ fdb: [{ mac: "zz", vni: 42, dev: "vxtap42" }] })).toThrow(/fdb\[0\]\.mac: must be a MAC address/);
  });
});
