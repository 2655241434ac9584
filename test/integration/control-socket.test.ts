// A running switch's control socket, config and CLI under hostile or careless use: odd JSON and a
// 16 MB line while traffic flows, a permissive umask, a second `up` on the same path, SIGHUP without -c,
// `fdb add --dst` to a new address, and usage errors on one line with exit code 2.
import { existsSync, statSync } from "node:fs";
import { createConnection } from "node:net";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startVxswitchMesh, stopMesh, type MeshMember } from "../../lab/mesh.js";
import { nsExecResult, runResult } from "../../lab/netns.js";
import { Lab } from "../../lab/topology.js";
import { ping } from "../../lab/traffic.js";
import { upArgs, vxswitchArgv, vxswitchCli } from "../../lab/vxswitch-process.js";
import { cleanUpLabsAfterAll, describeLab, expectNoLoss, requireVxswitchBuilt } from "../helpers/lab.js";

cleanUpLabsAfterAll();

/** Sends raw bytes to a control socket; resolves with the answer lines once the server closes or `want` answers came. */
function rawControl(path: string, payload: Buffer | string, want: number, timeoutMs = 10_000): Promise<{ answers: Record<string, unknown>[]; closedByServer: boolean }> {
  return new Promise((resolve, reject) => {
    const conn = createConnection(path);
    let text = "";
    const answers: Record<string, unknown>[] = [];
    const timer = setTimeout(() => {
      conn.destroy();
      reject(new Error(`no ${want} answers within ${timeoutMs} ms; got ${JSON.stringify(answers)}`));
    }, timeoutMs);
    const done = (closedByServer: boolean): void => {
      clearTimeout(timer);
      conn.destroy();
      resolve({ answers, closedByServer });
    };
    conn.setEncoding("utf8");
    conn.on("error", () => {});
    conn.on("data", (chunk: string) => {
      text += chunk;
      let nl: number;
      while ((nl = text.indexOf("\n")) >= 0) {
        answers.push(JSON.parse(text.slice(0, nl)) as Record<string, unknown>);
        text = text.slice(nl + 1);
      }
      if (answers.length >= want && want > 0) done(false);
    });
    conn.on("close", () => done(true));
    conn.write(payload);
  });
}

describeLab("control socket, config and CLI of a running vxswitch (two hosts, VNI 42)", () => {
  let lab: Lab;
  let mesh: MeshMember[] = [];
  const h1 = (): MeshMember => mesh[0]!;

  beforeAll(async () => {
    requireVxswitchBuilt();
    lab = await Lab.create({ hosts: 2, label: "ctl" });
    await lab.checkUnderlay();
    // The switches inherit umask 000: their control sockets must still be private.
    const previous = process.umask(0);
    try {
      mesh = await startVxswitchMesh(lab, { vni: 42 });
    } finally {
      process.umask(previous);
    }
  });

  afterAll(async () => {
    try {
      await stopMesh(mesh);
    } finally {
      await lab?.destroy();
    }
  });

  it("creates its control socket with mode 0600 although it was started under umask 000", () => {
    expect(statSync(h1().vx.control).mode & 0o777).toBe(0o600);
  });

  it("answers null, numbers, arrays, strings, a cmd that is no string and garbage with errors and keeps running", async () => {
    const odd = ["null", "123", "[]", '"x"', "{}", '{"cmd":5}', "garbage{"];
    const { answers } = await rawControl(h1().vx.control, odd.map((l) => `${l}\n`).join(""), odd.length);
    expect(answers.map((a) => a.ok)).toEqual(odd.map(() => false));
    expect(h1().vx.running, h1().vx.transcript()).toBe(true);
    expect(await h1().vx.status()).toMatchObject({ encap: "vxlan" });
  });

  it("cuts off a 16 MB request line with one error answer while pings through the overlay stay fast", async () => {
    const pings = ping(lab.container(1).ns, lab.container(2).address, { count: 20, interval: 0.05 });
    const cut = await rawControl(h1().vx.control, Buffer.alloc(16 * 1024 * 1024, 0x61), 0);
    const result = await pings;
    expect(cut.closedByServer).toBe(true);
    expect(cut.answers).toHaveLength(1);
    expect(String(cut.answers[0]!.error)).toMatch(/longer than 65536 bytes/);
    await expectNoLoss(result, "c1 -> c2 during the 16 MB line");
    expect(Math.max(...result.rttsMs), result.output).toBeLessThan(200);
    expect(h1().vx.running, h1().vx.transcript()).toBe(true);
  });

  it("refuses a second `vxswitch up` on the same control path with one line, exit 1, and leaves the first one's socket", async () => {
    const inode = statSync(h1().vx.control).ino;
    const args = upArgs({ local: lab.localOf(lab.hosts[0]!), remotes: lab.remotesOf(lab.hosts[0]!), vni: 43, tap: "vxtap43", control: h1().vx.control });
    const second = await nsExecResult(h1().host.ns, vxswitchArgv(args), { timeoutMs: 15_000 });
    expect(second.code, second.stdout + second.stderr).toBe(1);
    expect(second.stderr.trim().split("\n")).toEqual([`vxswitch: error: another vxswitch is already serving control socket ${h1().vx.control}; stop it first or give this one its own --control PATH`]);
    expect(statSync(h1().vx.control).ino).toBe(inode);
    expect((await nsExecResult(h1().host.ns, ["ip", "link", "show", "vxtap43"])).code).not.toBe(0);
    expect(await h1().vx.status()).toMatchObject({ encap: "vxlan" });
  });

  it("refuses SIGHUP's reload of a switch started from flags (no file to re-read) and keeps switching", async () => {
    const proc = h1().vx.proc;
    process.kill(proc.pid!, "SIGHUP");
    await proc.waitFor(/SIGHUP: vxswitch was started from flags, not with -c FILE: there is no file to re-read/, { timeoutMs: 5000 });
    expect(h1().vx.running).toBe(true);
    await expectNoLoss(await ping(lab.container(1).ns, lab.container(2).address, { count: 2 }), "c1 -> c2 after SIGHUP");
  });

  it("makes `fdb add MAC --dst NEW` a unicast-only peer that floods never reach, removed again by `fdb del`", async () => {
    const control = ["--control", h1().vx.control];
    await vxswitchCli(h1().host.ns, ["fdb", "add", "52:54:00:aa:bb:cc", "--vni", "42", "--dst", "198.18.0.99", ...control]);
    const added = (await h1().vx.peers()).find((p) => p.address === "198.18.0.99");
    expect(added).toBeDefined();
    const before = await h1().vx.peers();
    // ARP for an address nobody has: broadcasts that are flooded to every flood peer.
    const nobody = lab.container(2).address.replace(/\.\d+$/, ".250");
    await ping(lab.container(1).ns, nobody, { count: 3, interval: 0.2 });
    const after = await h1().vx.peers();
    const tx = (peers: typeof after, address: string): number => peers.find((p) => p.address === address)?.txFrames ?? -1;
    expect(tx(after, "198.18.0.2") - tx(before, "198.18.0.2"), "floods reach the configured peer").toBeGreaterThan(0);
    expect(tx(after, "198.18.0.99"), "floods must not reach the FDB-only peer").toBe(0);
    await vxswitchCli(h1().host.ns, ["fdb", "del", "52:54:00:aa:bb:cc", "--vni", "42", ...control]);
    expect((await h1().vx.peers()).map((p) => p.address)).toEqual(["198.18.0.2"]);
  });

  it("prints a bad flag or argument as one line with a pointer to --help and exits 2", async () => {
    for (const [args, message] of [
      [["up", "--bogus"], "vxswitch: error: unknown option '--bogus' (see vxswitch up --help)"],
      [["fdb", "add", "zz", "--vni", "42"], /^vxswitch: error: .*"zz" is not a MAC address.*\(see vxswitch fdb add --help\)$/],
      [["up", "-c", "/nonexistent.yaml", "--vni", "42"], /^vxswitch: error: -c FILE holds the whole configuration; put --vni in the file instead/],
    ] as const) {
      const result = await runResult(vxswitchArgv(args));
      expect(result.code, result.stderr).toBe(2);
      const lines = result.stderr.trim().split("\n");
      expect(lines).toHaveLength(1);
      if (typeof message === "string") expect(lines[0]).toBe(message);
      else expect(lines[0]).toMatch(message);
    }
  });

  it("removes its socket file on SIGTERM", async () => {
    const member = mesh.pop()!;
    const status = await member.vx.stop();
    expect(status.code).toBe(0);
    expect(existsSync(member.vx.control)).toBe(false);
  });
});
