// The lab library's safety promises: vxs-* names only, benchmarking addresses only, the root
// namespace untouched, and nothing left behind after destroy, SIGINT or a crash.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { addKernelVxlan } from "../../lab/kernel-vxlan.js";
import { createNamespace, namespaceExists, run, sleep, spawnIn } from "../../lab/netns.js";
import { assertUnderlayAddress, Lab } from "../../lab/topology.js";
import { repoRoot } from "../../lab/vxswitch-process.js";
import { cleanUpLabsAfterAll, describeLab } from "../helpers/lab.js";

cleanUpLabsAfterAll();

/** Interface names and addresses of the root namespace (counters left out: they move). */
async function rootSnapshot(): Promise<string> {
  const links = await run(["ip", "-o", "link", "show"]);
  const addrs = await run(["ip", "-o", "addr", "show"]);
  const names = links.split("\n").map((line) => line.split(":")[1]?.trim() ?? "");
  const addresses = addrs.split("\n").map((line) => line.split(/\s+/).slice(1, 4).join(" "));
  return [...names, ...addresses].filter((s) => s !== "").sort().join("\n");
}

/** Whether a pid is still alive after up to 2 s (a killed orphan needs a moment to be reaped). */
async function pidAlive(pid: number): Promise<boolean> {
  for (let i = 0; i < 40; i += 1) {
    try {
      process.kill(pid, 0);
    } catch {
      return false;
    }
    await sleep(50);
  }
  return true;
}

interface ChildReport {
  namespaces: string[];
  sleeperPid: number;
}

/** Runs test/helpers/lab-child.ts; resolves with its report (once printed) and its exit. */
function startChild(mode: "wait" | "throw"): { report: Promise<ChildReport>; exited: Promise<number | null>; kill: (signal: NodeJS.Signals) => void } {
  const root = repoRoot();
  const child = spawn(join(root, "node_modules", ".bin", "vite-node"), [join(root, "test", "helpers", "lab-child.ts"), mode], {
    cwd: root,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const report = new Promise<ChildReport>((resolve, reject) => {
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
      const line = stdout.split("\n").find((l) => l.startsWith("{"));
      if (line !== undefined) resolve(JSON.parse(line) as ChildReport);
    });
    void exited.then((code) => reject(new Error(`lab child exited (${code}) before reporting\n${stdout}\n${stderr}`)));
  });
  return { report, exited, kill: (signal) => child.kill(signal) };
}

describeLab("the lab library", () => {
  let lab: Lab | undefined;

  afterAll(async () => {
    await lab?.destroy();
  });

  it("names every namespace vxs-<pid>-<n>-... and removes them all on destroy, leaving the root namespace as it was", async () => {
    const before = await rootSnapshot();
    lab = await Lab.create({ hosts: 2, label: "life" });
    const names = lab.allNamespaces();
    expect(names).toHaveLength(5);
    for (const ns of names) expect(ns).toMatch(new RegExp(`^vxs-${process.pid}-\\d+-life-`));
    for (const ns of names) expect(await namespaceExists(ns)).toBe(true);
    await lab.checkUnderlay();
    const sleeper = spawnIn(lab.host(1).ns, ["sleep", "60"]);
    await lab.destroy();
    for (const ns of names) expect(await namespaceExists(ns), ns).toBe(false);
    await sleeper.exited;
    expect(await rootSnapshot()).toBe(before);
  });

  it("refuses namespace names outside vxs-*", async () => {
    await expect(createNamespace("lab-h1")).rejects.toThrow(/refusing/);
  });

  it("refuses underlay addresses outside 198.18.0.0/15 and 2001:2::/48", async () => {
    expect(() => assertUnderlayAddress("192.0.2.1")).toThrow(/refusing/);
    expect(() => assertUnderlayAddress("2001:db8::1")).toThrow(/refusing/);
    expect(() => assertUnderlayAddress("198.19.255.1")).not.toThrow();
    expect(() => assertUnderlayAddress("2001:2::a")).not.toThrow();
    await expect(addKernelVxlan("vxs-unused", { vni: 42, local: "198.18.0.1", remotes: ["10.1.1.1"] })).rejects.toThrow(/refusing/);
  });

  it("removes every namespace and process it made when interrupted with SIGINT", async () => {
    const child = startChild("wait");
    const report = await child.report;
    for (const ns of report.namespaces) expect(await namespaceExists(ns), ns).toBe(true);
    child.kill("SIGINT");
    expect(await child.exited).toBe(130);
    for (const ns of report.namespaces) expect(await namespaceExists(ns), ns).toBe(false);
    expect(await pidAlive(report.sleeperPid)).toBe(false);
  });

  it("removes every namespace and process it made when it dies of an uncaught exception", async () => {
    const child = startChild("throw");
    const report = await child.report;
    expect(await child.exited).toBe(1);
    for (const ns of report.namespaces) expect(await namespaceExists(ns), ns).toBe(false);
    expect(await pidAlive(report.sleeperPid)).toBe(false);
  });
});
