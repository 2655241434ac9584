// --busy-poll: vxswitch spins on its TAP and socket after traffic instead of sleeping. Against a
// kernel vxlan peer: traffic still flows both ways, the spin catches packets (hits counted), and
// once traffic stops the process goes back to sleep (CPU time stops growing).
import { afterAll, beforeAll, expect, it } from "vitest";
import { addKernelVxlan } from "../../lab/kernel-vxlan.js";
import { processCpu, type ProcessCpu } from "../../lab/cpu.js";
import { sleep } from "../../lab/netns.js";
import { Lab } from "../../lab/topology.js";
import { ping } from "../../lab/traffic.js";
import { VxswitchProcess, vxswitchCli } from "../../lab/vxswitch-process.js";
import { cleanUpLabsAfterAll, describeLab, expectNoLoss, requireVxswitchBuilt, stopThenDestroy, switchState } from "../helpers/lab.js";

cleanUpLabsAfterAll();

interface BusyPollStatus {
  windowUs: number;
  fds: number;
  spins: number;
  hits: number;
}

describeLab("vxswitch --busy-poll against kernel vxlan", () => {
  let lab: Lab;
  let vx: VxswitchProcess | undefined;
  const state = (): Promise<string> => switchState([{ name: "h1 vxswitch", vx }]);
  const busyPoll = async (): Promise<BusyPollStatus> => (await vx!.status()).busyPoll as BusyPollStatus;

  beforeAll(async () => {
    requireVxswitchBuilt();
    lab = await Lab.create({ hosts: 2, label: "busy" });
    const [h1, h2] = [lab.host(1), lab.host(2)];
    await addKernelVxlan(h2.ns, { vni: 42, local: h2.underlayV4, remotes: [h1.underlayV4] });
    vx = await VxswitchProcess.start(h1.ns, { local: h1.underlayV4, remotes: [h2.underlayV4], vni: 42, tap: "vxtap42", bridge: "br0", extraArgs: ["--busy-poll", "50000"] });
  });

  afterAll(() => stopThenDestroy(lab, vx));

  it("says it busy-polls the TAP and the socket", async () => {
    expect(vx!.proc.stdout).toMatch(/busy-poll 50000 µs after the last packet on 2 fds/);
    expect(await busyPoll()).toMatchObject({ windowUs: 50000, fds: 2 });
  });

  it("carries pings both ways, and the spin catches packets", async () => {
    await expectNoLoss(await ping(lab.container(1).ns, lab.container(2).address, { count: 20, interval: 0.01 }), "vxswitch -> kernel", state);
    await expectNoLoss(await ping(lab.container(2).ns, lab.container(1).address, { count: 20, interval: 0.01 }), "kernel -> vxswitch", state);
    const bp = await busyPoll();
    expect(bp.spins, JSON.stringify(bp)).toBeGreaterThan(0);
    // 10 ms between pings is inside the 50 ms window: most requests and replies are caught spinning.
    expect(bp.hits, JSON.stringify(bp)).toBeGreaterThan(20);
  });

  it("reports the addon's own I/O counters in stats, all zero after clean traffic", async () => {
    const io = (await vx!.stats()).io as Record<string, number | string>;
    expect(io).toMatchObject({ readErrors: 0, writeErrors: 0, recvErrors: 0, sendErrors: 0, truncated: 0, malformed: 0, lastError: "" });
    const text = await vxswitchCli(lab.host(1).ns, ["stats", "--control", vx!.control]);
    expect(text).toMatch(/^native io: no errors$/m);
  });

  it("stops spinning once traffic stops: no CPU time burnt while idle", async () => {
    const total = (c: ProcessCpu): number => c.userSeconds + c.systemSeconds;
    await sleep(200);
    const before = processCpu(vx!.proc.pid!);
    await sleep(1000);
    const idle = total(processCpu(vx!.proc.pid!)) - total(before);
    expect(idle, "CPU seconds used in 1 s without traffic").toBeLessThan(0.1);
  });
});
