// Kernel-side losses of our sockets: the per-socket "drops" column of /proc/net/{udp,raw}{,6}.
import { readFileSync } from "node:fs";

/**
 * Sum of the "drops" column over the sockets in /proc/net/<table> and <table>6 whose local
 * address ends in `:<port>` (for raw sockets that "port" is the IP protocol number).
 */
function procNetDrops(table: "udp" | "raw", port: number): number {
  const hexPort = `:${port.toString(16).toUpperCase().padStart(4, "0")}`;
  let drops = 0;
  for (const file of [`/proc/net/${table}`, `/proc/net/${table}6`]) {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 13 || !cols[1]!.endsWith(hexPort)) continue;
      drops += Number(cols[cols.length - 1]) || 0;
    }
  }
  return drops;
}

/**
 * Receive drops (buffer overflows) of UDP sockets bound to `port` in this network namespace.
 * These never reach userspace, so without this they would be silent.
 */
export function udpSocketDrops(port: number): number {
  return procNetDrops("udp", port);
}

/** The same for raw sockets of an IP protocol (47 for our GRE socket). */
export function rawSocketDrops(protocol: number): number {
  return procNetDrops("raw", protocol);
}
