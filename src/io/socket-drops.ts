// Kernel-side losses of our UDP sockets: the per-socket "drops" column of /proc/net/udp{,6}.
import { readFileSync } from "node:fs";

/**
 * Sum of the kernel's receive drops (buffer overflows) for UDP sockets bound to `port` in this
 * network namespace. These never reach userspace, so without this they would be silent.
 */
export function udpSocketDrops(port: number): number {
  const hexPort = `:${port.toString(16).toUpperCase().padStart(4, "0")}`;
  let drops = 0;
  for (const file of ["/proc/net/udp", "/proc/net/udp6"]) {
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
 * The same for raw sockets of an IP protocol (47 for our GRE socket) in this namespace: in
 * /proc/net/raw{,6} the "port" of local_address is the protocol number.
 */
export function rawSocketDrops(protocol: number): number {
  const hexProto = `:${protocol.toString(16).toUpperCase().padStart(4, "0")}`;
  let drops = 0;
  for (const file of ["/proc/net/raw", "/proc/net/raw6"]) {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 13 || !cols[1]!.endsWith(hexProto)) continue;
      drops += Number(cols[cols.length - 1]) || 0;
    }
  }
  return drops;
}
