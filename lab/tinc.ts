// tinc 1.0 in switch mode as a third overlay to compare with: one tincd per lab host, a TAP on the
// host bridge, no encryption, no MAC, no compression (the cheapest tinc there is).
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ipIn, labTempDir, nsExecResult, run, runResult, spawnIn, waitUntil, type NsProcess } from "./netns.js";
import type { Lab, LabHost } from "./topology.js";
import { assertUnderlayAddress, VXLAN_MTU_V4 } from "./topology.js";

export interface TincOptions {
  /** TAP name in every host (default "tinc0"). */
  tap?: string;
  /** Host bridge the TAP joins (default "br0"). */
  bridge?: string;
  /** MTU of the TAP (default 1450, as the other overlays). */
  mtu?: number;
  /** UDP and TCP port (default 655). */
  port?: number;
  /** How long to wait for every node's meta connection (default 15 s). */
  readyTimeoutMs?: number;
  /** tinc's default cipher and digest instead of none (the encrypted comparison). */
  crypto?: boolean;
}

export interface TincNode {
  host: LabHost;
  proc: NsProcess;
  /** The node's configuration directory (tinc.conf, hosts/, keys, tinc-up). */
  dir: string;
  tap: string;
}

/** `tincd --version`'s first line, or undefined when tincd is not installed. */
export async function tincVersion(): Promise<string | undefined> {
  try {
    const result = await runResult(["tincd", "--version"], { timeoutMs: 5_000 });
    return result.stdout.split("\n")[0]?.trim() || undefined;
  } catch {
    return undefined;
  }
}

/**
 * Writes a full-mesh tinc 1.0 configuration for every lab host (keys made with `tincd -K`,
 * host files exchanged), starts tincd in the foreground in each host namespace, and resolves
 * once every node has an active meta connection. On failure stops what it started.
 */
export async function startTincSwitch(lab: Lab, options: TincOptions = {}): Promise<TincNode[]> {
  const tap = options.tap ?? "tinc0";
  const bridge = options.bridge ?? "br0";
  const mtu = options.mtu ?? VXLAN_MTU_V4;
  const port = options.port ?? 655;
  const root = labTempDir();
  const dirs = new Map<LabHost, string>();
  for (const host of lab.hosts) {
    assertUnderlayAddress(host.underlayV4);
    const dir = join(root, host.name);
    mkdirSync(join(dir, "hosts"), { recursive: true });
    const peers = lab.hosts.filter((h) => h !== host);
    writeFileSync(
      join(dir, "tinc.conf"),
      [
        `Name = ${host.name}`,
        "Mode = switch",
        "DeviceType = tap",
        `Interface = ${tap}`,
        "AddressFamily = ipv4",
        `BindToAddress = ${host.underlayV4}`,
        `Port = ${port}`,
        ...peers.map((p) => `ConnectTo = ${p.name}`),
        "",
      ].join("\n"),
    );
    // Cipher/Digest/Compression are host variables: each node says how it wants to be sent to.
    writeFileSync(
      join(dir, "hosts", host.name),
      [`Address = ${host.underlayV4}`, `Port = ${port}`, ...(options.crypto === true ? [] : ["Cipher = none", "Digest = none"]), "Compression = 0", ""].join("\n"),
    );
    const up = join(dir, "tinc-up");
    writeFileSync(up, `#!/bin/sh\nip link set "$INTERFACE" mtu ${mtu}\nip link set "$INTERFACE" master ${bridge}\nip link set "$INTERFACE" up\n`);
    chmodSync(up, 0o755);
    // Not a terminal on stdin/stdout: tincd -K writes to the default files without asking.
    await run(["tincd", "-c", dir, "-K2048"], { timeoutMs: 30_000 });
    dirs.set(host, dir);
  }
  // Every node knows every other node's host file (address and public key).
  for (const [host, dir] of dirs) {
    const own = readFileSync(join(dir, "hosts", host.name), "utf8");
    for (const [other, otherDir] of dirs) if (other !== host) writeFileSync(join(otherDir, "hosts", host.name), own);
  }
  const nodes: TincNode[] = [];
  try {
    for (const host of lab.hosts) {
      const dir = dirs.get(host)!;
      await ipIn(host.ns, ["link", "show", "dev", bridge]);
      // -D: foreground (logs to stderr); -d1: connection events, which tell us when it is ready.
      const proc = spawnIn(host.ns, ["tincd", "-c", dir, "-D", "-d1", `--pidfile=${join(dir, "tinc.pid")}`]);
      nodes.push({ host, proc, dir, tap });
    }
    const timeoutMs = options.readyTimeoutMs ?? 15_000;
    for (const node of nodes) {
      await node.proc.waitFor(/Connection with \S+ .*activated/, { stream: "both", timeoutMs });
      await waitForLink(node.host.ns, tap, bridge, timeoutMs);
    }
  } catch (error) {
    await stopTinc(nodes);
    throw error;
  }
  return nodes;
}

/** Stops every tincd (SIGTERM runs tinc-down and removes the TAP). */
export async function stopTinc(nodes: readonly TincNode[]): Promise<void> {
  await Promise.all(nodes.map((node) => node.proc.stop("SIGTERM", 5_000)));
}

async function waitForLink(ns: string, tap: string, bridge: string, timeoutMs: number): Promise<void> {
  let last = "";
  await waitUntil(async () => {
    const result = await nsExecResult(ns, ["ip", "-o", "link", "show", "dev", tap]);
    last = `${result.stdout}${result.stderr}`;
    return result.code === 0 && result.stdout.includes(`master ${bridge}`) && /[<,]UP[,>]/.test(result.stdout);
  }, timeoutMs, () => `tinc: ${tap} in ${ns} did not join ${bridge} within ${timeoutMs} ms: ${last}`);
}
