// vxswitch as a library: a program imports the package's entry, starts a switch from a config
// object and changes it at run time while a vxswitch CLI peer and real pings run against it.
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { ipIn, spawnIn, type NsProcess } from "../../lab/netns.js";
import { Lab } from "../../lab/topology.js";
import { ping } from "../../lab/traffic.js";
import { repoRoot, VxswitchProcess } from "../../lab/vxswitch-process.js";
import { cleanUpLabsAfterAll, describeLab, expectNoLoss, requireVxswitchBuilt } from "../helpers/lab.js";

cleanUpLabsAfterAll();

describeLab("the library API in a program (h1), a vxswitch CLI peer (h2), VNI 42", () => {
  let lab: Lab;
  let program: NsProcess | undefined;
  let peer: VxswitchProcess | undefined;
  let lines = 0;

  /** Sends a signal and returns the program's next JSON line. */
  async function step(signal: NodeJS.Signals): Promise<Record<string, unknown>> {
    const want = ++lines;
    program!.child.kill(signal);
    await program!.waitFor(new RegExp(`^(?:.*\\n){${want}}`), { stream: "stdout", timeoutMs: 10_000 });
    return JSON.parse(program!.stdout.split("\n")[want - 1]!) as Record<string, unknown>;
  }

  beforeAll(async () => {
    requireVxswitchBuilt();
    lab = await Lab.create({ hosts: 2, label: "lib" });
    await lab.checkUnderlay();
    const h1 = lab.host(1);
    const config = { local: lab.localOf(h1, 4), peers: lab.remotesOf(h1, 4), segments: [{ vni: 42, tap: "vxtap42", bridge: "br0" }] };
    program = spawnIn(h1.ns, [process.execPath, join(repoRoot(), "test/fixtures/library-switch.mjs"), JSON.stringify(config), lab.remotesOf(h1, 4)[0]!]);
    await program.waitFor(/"ready":true/, { stream: "stdout", timeoutMs: 15_000 });
    lines = 1;
    const h2 = lab.host(2);
    peer = await VxswitchProcess.start(h2.ns, { local: lab.localOf(h2, 4), remotes: lab.remotesOf(h2, 4), vni: 42, tap: "vxtap42", bridge: "br0" });
  });

  afterAll(async () => {
    try {
      await Promise.all([program?.stop("SIGKILL"), peer?.stop()]);
    } finally {
      await lab?.destroy();
    }
  });

  it("switches traffic between the containers through the switch the program started", async () => {
    await expectNoLoss(await ping(lab.container(1).ns, lab.container(2).address, { count: 3 }), "c1 -> c2 through the library switch");
  });

  it("reads status, FDB and counters through the API", async () => {
    const answer = await step("SIGUSR1");
    const status = answer.status as { segments: { id: number; tap: string }[]; peers: { address: string; rxFrames: number }[] };
    expect(status.segments).toMatchObject([{ id: 42, tap: "vxtap42" }]);
    expect(status.peers.map((p) => p.address)).toEqual(["198.18.0.2"]);
    expect(status.peers[0]!.rxFrames).toBeGreaterThan(0);
    const fdb = answer.fdb as { mac: string; dst?: string }[];
    expect(fdb.find((e) => e.mac === lab.container(2).mac)?.dst, JSON.stringify(fdb)).toBe("198.18.0.2");
    expect((answer.counters as { ingress: { frames: number } }).ingress.frames).toBeGreaterThan(0);
  });

  it("cuts the peer off at run time (removePeer) and lets it back in (addPeer), with traffic to prove each", async () => {
    expect(await step("SIGUSR2")).toMatchObject({ removed: { fdbEntriesRemoved: 1 } });
    const cut = await ping(lab.container(1).ns, lab.container(2).address, { count: 3, interval: 0.2, timeout: 1 });
    expect(cut.received, cut.output).toBe(0);
    expect(await step("SIGUSR2")).toEqual({ added: "every segment" });
    await expectNoLoss(await ping(lab.container(1).ns, lab.container(2).address, { count: 3 }), "c1 -> c2 after addPeer");
  });

  it("stops: stop() resolves, the program exits 0 and its TAP is gone", async () => {
    const answer = await step("SIGTERM");
    expect(answer).toEqual({ stopped: true });
    expect((await program!.exited).code).toBe(0);
    expect(await ipIn(lab.host(1).ns, ["-o", "link", "show"])).not.toContain("vxtap42");
  });
});
