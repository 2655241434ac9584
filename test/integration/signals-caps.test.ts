// Stopping under load leaves nothing behind; running with only CAP_NET_ADMIN (+ CAP_NET_RAW for GRE) works, without them one line says which.
import { chmodSync, existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { ipIn, labTempDir, nsExecResult, sleep, spawnIn } from "../../lab/netns.js";
import { Lab } from "../../lab/topology.js";
import { iperfClient, ping, startIperfServer } from "../../lab/traffic.js";
import { upArgs, vxswitchArgv, VxswitchProcess } from "../../lab/vxswitch-process.js";
import { cleanUpLabsAfterAll, describeLab, expectNoLoss, requireVxswitchBuilt } from "../helpers/lab.js";

cleanUpLabsAfterAll();

/**
 * Who runs the switch: nobody where /dev/net/tun is world-accessible (as on Debian and Ubuntu);
 * uid 0 otherwise (some containers make it 0600), which with the bounding set below still holds
 * no capability but the ones given: no CAP_DAC_OVERRIDE, CAP_SYS_ADMIN, ...
 */
const tunOpenToAll = (statSync("/dev/net/tun", { throwIfNoEntry: false })?.mode ?? 0) & 0o006;
const NOBODY = tunOpenToAll === 0o006 ? ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] : ["setpriv"];
const ONLY_NET_CAPS = ["--inh-caps=-all,+net_admin,+net_raw", "--ambient-caps=-all,+net_admin,+net_raw", "--bounding-set=-all,+net_admin,+net_raw"];
const NO_CAPS = ["--inh-caps=-all", "--ambient-caps=-all", "--bounding-set=-all"];

async function linkNames(ns: string): Promise<string[]> {
  return (JSON.parse(await ipIn(ns, ["-j", "link", "show"])) as { ifname: string }[]).map((l) => l.ifname);
}

const nobodyDirs: string[] = [];

/** A control socket directory the unprivileged user can reach and write (the lab's temp dir is root's alone). */
function nobodyDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "vxs-nobody-"));
  chmodSync(dir, 0o777);
  nobodyDirs.push(dir);
  return dir;
}

describeLab("signals and capabilities (two hosts, VNI 42)", () => {
  let lab: Lab;

  beforeAll(async () => {
    requireVxswitchBuilt();
    lab = await Lab.create({ hosts: 2, label: "sig" });
    await lab.checkUnderlay();
  }, 60_000);

  afterAll(async () => {
    for (const dir of nobodyDirs) rmSync(dir, { recursive: true, force: true });
    await lab?.destroy();
  });

  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    it(`exits cleanly on ${signal} while iperf3 runs through it: no TAP, control socket or bridge of its own left`, async () => {
      const [h1, h2] = lab.hosts;
      const control = join(labTempDir(), "vx.sock");
      const start = (host: typeof h1, extra: { control?: string; bridge: string }): Promise<VxswitchProcess> =>
        VxswitchProcess.start(host!.ns, { local: lab.localOf(host!), remotes: lab.remotesOf(host!), vni: 42, tap: "vxtap42", ...extra });
      // h1 also makes a bridge of its own (br7, no container on it): it must go too.
      const vx1 = await start(h1, { control, bridge: "br0" });
      const vx1b = await VxswitchProcess.start(h1!.ns, { local: lab.localOf(h1!), remotes: [], vni: 77, tap: "vxtap77", bridge: "br7", port: 4790 });
      const vx2 = await start(h2, { bridge: "br0" });
      try {
        const server = await startIperfServer(lab.container(1).ns, lab.container(1).address);
        try {
          const load = iperfClient(lab.container(2).ns, lab.container(1).address, { seconds: 6 }).catch((e: unknown) => e);
          await sleep(2000);
          expect(await linkNames(h1!.ns)).toEqual(expect.arrayContaining(["vxtap42", "vxtap77", "br7"]));
          vx1b.proc.child.kill(signal);
          vx1.proc.child.kill(signal);
          const [s1, s1b] = await Promise.all([vx1.proc.exited, vx1b.proc.exited]);
          expect(s1, vx1.transcript()).toEqual({ code: 0, signal: null });
          expect(s1b, vx1b.transcript()).toEqual({ code: 0, signal: null });
          await load;
        } finally {
          await server.stop();
        }
        const links = await linkNames(h1!.ns);
        expect(links).not.toContain("vxtap42");
        expect(links).not.toContain("vxtap77");
        expect(links, "the bridge it created").not.toContain("br7");
        expect(links, "the bridge it found").toContain("br0");
        expect(existsSync(control), "control socket file").toBe(false);
      } finally {
        await Promise.all([vx1, vx1b, vx2].map((vx) => (vx.running ? vx.stop() : undefined)));
      }
    });
  }

  it("runs with only CAP_NET_ADMIN and CAP_NET_RAW (VXLAN and GRE; as nobody where /dev/net/tun allows) and forwards", async () => {
    for (const encap of ["vxlan", "gre"] as const) {
      const control = join(nobodyDir(), "vx.sock");
      const [h1, h2] = lab.hosts;
      const seg = encap === "gre" ? { encap, key: 42 } : { vni: 42 };
      const args = upArgs({ local: lab.localOf(h1!), remotes: lab.remotesOf(h1!), ...seg, tap: "vxtap42", bridge: "br0", control });
      const proc = spawnIn(h1!.ns, [...NOBODY, ...ONLY_NET_CAPS, ...vxswitchArgv(args)]);
      const vx2 = await VxswitchProcess.start(h2!.ns, { local: lab.localOf(h2!), remotes: lab.remotesOf(h2!), ...seg, tap: "vxtap42", bridge: "br0" });
      try {
        await proc.waitFor(/ready/, { stream: "stdout", timeoutMs: 15_000 });
        await expectNoLoss(await ping(lab.container(1).ns, lab.container(2).address, { count: 3, interval: 0.2 }), `c1 -> c2 through an unprivileged ${encap} switch`);
      } finally {
        await proc.stop("SIGTERM", 5_000);
        await vx2.stop();
      }
      expect(proc.exitStatus, proc.transcript()).toEqual({ code: 0, signal: null });
      expect(await linkNames(h1!.ns)).not.toContain("vxtap42");
    }
  });

  it("without the capabilities, says in one line which one is missing", async () => {
    const h1 = lab.host(1);
    for (const [encap, cap] of [["vxlan", "CAP_NET_ADMIN"], ["gre", "CAP_NET_RAW"]] as const) {
      const control = join(nobodyDir(), "vx.sock");
      const seg = encap === "gre" ? { encap, key: 42 } : { vni: 42 };
      // GRE: with CAP_NET_ADMIN (the TAP opens) but not CAP_NET_RAW (the raw socket does not).
      const caps = encap === "gre" ? ["--inh-caps=-all,+net_admin", "--ambient-caps=-all,+net_admin", "--bounding-set=-all,+net_admin"] : NO_CAPS;
      const args = upArgs({ local: lab.localOf(h1), remotes: lab.remotesOf(h1), ...seg, tap: "vxtap42", bridge: "br0", control });
      const r = await nsExecResult(h1.ns, [...NOBODY, ...caps, ...vxswitchArgv(args)], { timeoutMs: 20_000 });
      expect(r.code, r.stdout + r.stderr).toBe(1);
      const errorLines = r.stderr.trim().split("\n").filter((l) => l.trim() !== "");
      expect(errorLines, r.stderr).toHaveLength(1);
      expect(errorLines[0]).toContain(cap);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });
});
