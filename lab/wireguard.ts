// wireguard-go (userspace WireGuard, Debian's build) between lab hosts, for the benchmark: a
// layer-3 tunnel, so each host routes the other hosts' container /32s over it and answers ARP for
// them on its bridge (proxy ARP), as the raw-underlay system does over u0.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { ipIn, labTempDir, nsExec, runResult, spawnIn, sysctlIn, waitUntil, type NsProcess } from "./netns.js";
import type { Lab, LabHost } from "./topology.js";
import { assertUnderlayAddress } from "./topology.js";

export interface WireguardNode {
  host: LabHost;
  proc: NsProcess;
  ifname: string;
}

const PORT = 51820;

/** `wireguard-go --version`, or undefined when it (or wg) is not installed. */
export async function wireguardGoVersion(): Promise<string | undefined> {
  try {
    const go = await runResult(["wireguard-go", "--version"], { timeoutMs: 5_000 });
    const wg = await runResult(["wg", "--version"], { timeoutMs: 5_000 });
    return go.code === 0 && wg.code === 0 ? go.stdout.split("\n")[0]?.trim() : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Starts wireguard-go on every host (foreground), keys and peers set with wg, routes and proxy ARP
 * for the containers. Interface names are unique per lab: wireguard-go's control socket lives in
 * /var/run/wireguard/<ifname>.sock, shared by every namespace.
 */
export async function startWireguard(lab: Lab): Promise<WireguardNode[]> {
  const dir = labTempDir();
  const keys = new Map<LabHost, { priv: string; pub: string }>();
  for (const host of lab.hosts) {
    assertUnderlayAddress(host.underlayV4);
    const priv = (await runResult(["wg", "genkey"])).stdout.trim();
    const pub = (await runResult(["sh", "-c", `printf %s '${priv}' | wg pubkey`])).stdout.trim();
    const file = join(dir, `${host.name}.key`);
    writeFileSync(file, `${priv}\n`, { mode: 0o600 });
    keys.set(host, { priv: file, pub });
  }
  const tag = lab.switchNs.replace(/\D/g, "").slice(-6);
  const nodes: WireguardNode[] = [];
  try {
    for (const host of lab.hosts) {
      const ifname = `wg${tag}h${host.index}`.slice(0, 15);
      const proc = spawnIn(host.ns, ["wireguard-go", "-f", ifname], { env: { LOG_LEVEL: "error" } });
      nodes.push({ host, proc, ifname });
      await waitForLink(host.ns, ifname);
      const peerArgs = lab.hosts.filter((h) => h !== host).flatMap((h) => [
        "peer", keys.get(h)!.pub, "endpoint", `${h.underlayV4}:${PORT}`, "allowed-ips", h.containers.map((c) => `${c.address}/32`).join(","),
      ]);
      await nsExec(host.ns, ["wg", "set", ifname, "private-key", keys.get(host)!.priv, "listen-port", String(PORT), ...peerArgs]);
      await ipIn(host.ns, ["link", "set", ifname, "up"]);
      await sysctlIn(host.ns, { "net.ipv4.ip_forward": 1, "net.ipv4.conf.br0.proxy_arp": 1 });
      for (const c of host.containers) await ipIn(host.ns, ["route", "add", `${c.address}/32`, "dev", c.bridge]);
      for (const other of lab.hosts) {
        if (other === host) continue;
        for (const c of other.containers) await ipIn(host.ns, ["route", "add", `${c.address}/32`, "dev", ifname]);
      }
    }
  } catch (error) {
    await stopWireguard(nodes);
    throw error;
  }
  return nodes;
}

export async function stopWireguard(nodes: readonly WireguardNode[]): Promise<void> {
  await Promise.all(nodes.map((n) => n.proc.stop("SIGTERM", 5_000)));
}

async function waitForLink(ns: string, ifname: string): Promise<void> {
  const ready = async (): Promise<boolean> => (await runResult(["ip", "-n", ns, "link", "show", "dev", ifname])).code === 0;
  await waitUntil(ready, 5_000, () => `wireguard-go did not make ${ifname} in ${ns} within 5 s`, 50);
}
