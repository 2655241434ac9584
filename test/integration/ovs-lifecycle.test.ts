// The OVS lab helper cleans up after itself: daemons gone and run directory removed on stop, and
// on a failed setup too.
import { existsSync, readFileSync } from "node:fs";
import { afterAll, beforeAll, expect, it } from "vitest";
import { ipIn, nsExecResult, run } from "../../lab/netns.js";
import { OvsInstance, OvsTunnelHost } from "../../lab/ovs.js";
import { Lab, UNDERLAY_IF } from "../../lab/topology.js";
import { cleanUpLabsAfterAll, describeLab } from "../helpers/lab.js";

cleanUpLabsAfterAll();

/** Names of the OVS processes running in a namespace, sorted, space-separated. */
async function ovsProcesses(ns: string): Promise<string> {
  const pids = (await run(["ip", "netns", "pids", ns])).split(/\s+/).filter((p) => /^\d+$/.test(p));
  const names = pids.map((pid) => {
    try {
      return readFileSync(`/proc/${pid}/comm`, "utf8").trim();
    } catch {
      return "";
    }
  });
  return names.filter((n) => n.startsWith("ovs")).sort().join(" ");
}

describeLab("Open vSwitch lab helper", () => {
  let lab: Lab;

  beforeAll(async () => {
    lab = await Lab.create({ hosts: 2, containers: false, label: "ovslife" });
  });

  afterAll(async () => {
    await lab?.destroy();
  });

  it("starts ovsdb-server and ovs-vswitchd in the namespace and stops both, removing its directory", async () => {
    const ovs = await OvsInstance.start(lab.host(1).ns);
    expect(ovs.running).toBe(true);
    await ovs.addBridge("br-test");
    expect(await ovs.vsctl(["list-br"])).toContain("br-test");
    expect(await ovsProcesses(lab.host(1).ns)).toBe("ovs-vswitchd ovsdb-server");
    await ovs.stop();
    expect(await ovsProcesses(lab.host(1).ns)).toBe("");
    expect(existsSync(ovs.dir)).toBe(false);
    const link = await nsExecResult(lab.host(1).ns, ["ip", "link", "show", "dev", "br-test"]);
    expect(link.code, "the bridge's TAP is gone after exit --cleanup").not.toBe(0);
  });

  it("stops what it started when setting up a tunnel host fails", async () => {
    const host = lab.host(2);
    await ipIn(host.ns, ["addr", "flush", "dev", UNDERLAY_IF]);
    await expect(OvsTunnelHost.create(lab, host)).rejects.toThrow(/no IPv4 address on u0/);
    expect(await ovsProcesses(host.ns)).toBe("");
  });
});
