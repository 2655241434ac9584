// DHCP across the overlay in a lab: dnsmasq as the server on a host bridge, ISC dhclient as the
// client in a container. Every file (leases, pid, client script) lives in a lab temp dir and the
// client script only sets the address on the container's interface: nothing outside the
// namespaces changes (no /var/lib/dhcp, no resolv.conf).
import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { labTempDir, spawnIn, type NsProcess } from "./netns.js";

export interface DnsmasqOptions {
  /** Interface to serve on, which must hold an address in the range's subnet (e.g. "br0"). */
  iface: string;
  /** First and last address handed out, e.g. ["10.42.0.100", "10.42.0.150"]. */
  range: [string, string];
  /** Lease time as dnsmasq writes it (default "2m", its minimum). */
  leaseTime?: string;
}

export interface DnsmasqServer {
  proc: NsProcess;
  leaseFile: string;
  /** Lines of the lease file: `expiry mac ip hostname client-id`. */
  leases(): DhcpLease[];
  stop(): Promise<void>;
}

export interface DhcpLease {
  mac: string;
  address: string;
}

/** Starts dnsmasq as a DHCP server only (no DNS: --port=0) and resolves once it listens. */
export async function startDnsmasq(ns: string, options: DnsmasqOptions): Promise<DnsmasqServer> {
  const dir = labTempDir();
  const leaseFile = join(dir, "dnsmasq.leases");
  const proc = spawnIn(ns, [
    "dnsmasq",
    "--no-daemon",
    "--conf-file=/dev/null",
    `--interface=${options.iface}`,
    "--bind-interfaces",
    "--port=0",
    `--dhcp-range=${options.range[0]},${options.range[1]},${options.leaseTime ?? "2m"}`,
    `--dhcp-leasefile=${leaseFile}`,
    `--pid-file=${join(dir, "dnsmasq.pid")}`,
    "--log-facility=-",
    "--log-dhcp",
    // Stays root: the lease file is in a root-only temp dir.
    "--user=root",
  ]);
  try {
    await proc.waitFor(/DHCP, IP range/, { timeoutMs: 10_000 });
  } catch (error) {
    await proc.stop("SIGKILL");
    throw error;
  }
  return {
    proc,
    leaseFile,
    leases: () => parseDnsmasqLeases(readLeaseFile(leaseFile)),
    stop: async () => {
      await proc.stop("SIGTERM", 3_000);
    },
  };
}

/** dnsmasq lease lines: `1700000000 52:54:00:42:02:00 10.42.0.117 hostname 01:52:54:...`. */
export function parseDnsmasqLeases(text: string): DhcpLease[] {
  return text
    .split("\n")
    .map((line) => line.trim().split(/\s+/))
    .filter((words) => words.length >= 3 && /^[0-9a-f:]{17}$/i.test(words[1] ?? ""))
    .map((words) => ({ mac: words[1]!.toLowerCase(), address: words[2]! }));
}

function readLeaseFile(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return "";
  }
}

/** The dhclient-script: address on the interface on BOUND and friends, nothing else anywhere. */
const CLIENT_SCRIPT = `#!/bin/sh
# Lab dhclient-script: configures the lease on $interface in this namespace only.
case "$reason" in
  PREINIT) ip link set dev "$interface" up ;;
  BOUND|RENEW|REBIND|REBOOT)
    if [ -n "$old_ip_address" ] && [ "$old_ip_address" != "$new_ip_address" ]; then
      ip -4 addr del "$old_ip_address/$old_subnet_mask" dev "$interface"
    fi
    ip -4 addr replace "$new_ip_address/$new_subnet_mask" dev "$interface"
    ;;
  EXPIRE|FAIL|RELEASE|STOP)
    [ -n "$old_ip_address" ] && ip -4 addr del "$old_ip_address/$old_subnet_mask" dev "$interface"
    ;;
esac
exit 0
`;

export interface DhcpClient {
  proc: NsProcess;
  /** The address bound, from dhclient's "bound to A" line. */
  address: string;
  /** Files the client wrote: its lease file and its pid file, both in a lab temp dir. */
  leaseFile: string;
  stop(): Promise<void>;
}

/**
 * Runs ISC dhclient in the foreground on `iface` and resolves once it is bound (timeoutMs, default
 * 30 s, bounds the whole exchange). The process stays, as a DHCP client does, until stop().
 */
export async function runDhclient(ns: string, iface: string, timeoutMs = 30_000): Promise<DhcpClient> {
  const dir = labTempDir();
  const script = join(dir, "dhclient-script");
  writeFileSync(script, CLIENT_SCRIPT);
  chmodSync(script, 0o700);
  const conf = join(dir, "dhclient.conf");
  writeFileSync(conf, "timeout 30;\nretry 5;\nrequest subnet-mask, broadcast-address;\n");
  const leaseFile = join(dir, "dhclient.leases");
  const proc = spawnIn(ns, ["dhclient", "-4", "-d", "-v", "-cf", conf, "-sf", script, "-lf", leaseFile, "-pf", join(dir, "dhclient.pid"), iface]);
  let address: string;
  try {
    const match = await proc.waitFor(/bound to (\d+\.\d+\.\d+\.\d+)/, { timeoutMs });
    address = match[1]!;
  } catch (error) {
    await proc.stop("SIGKILL");
    throw error;
  }
  return {
    proc,
    address,
    leaseFile,
    stop: async () => {
      await proc.stop("SIGTERM", 3_000);
    },
  };
}
