// A TAP's MAC that survives restarts: configured, or derived from the host, the underlay address and the TAP name.
//
// A new TAP gets a random MAC from the kernel; after a restart, neighbours still holding the old
// ARP/ND entry send into the void until it times out (34-52 s measured). systemd-networkd solves
// the same problem for its virtual links with a keyed hash of /etc/machine-id and the interface
// name; we do the same, and add the local underlay address because namespace labs (and some
// container hosts) share one machine-id between several "hosts".
import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import { hostname } from "node:os";

/** Where a host's stable identity is read from, first found wins (as systemd and dbus keep it). */
const MACHINE_ID_FILES = ["/etc/machine-id", "/var/lib/dbus/machine-id"];

/** The host's identity for MAC derivation: its machine-id, or its hostname when it has none. */
export function hostIdentity(files: readonly string[] = MACHINE_ID_FILES): string {
  for (const file of files) {
    try {
      const id = readFileSync(file, "utf8").trim();
      if (id.length > 0) return id;
    } catch {
      // Try the next place.
    }
  }
  return `hostname:${hostname()}`;
}

/**
 * 6 bytes from HMAC-SHA256(key = host identity, "vxswitch tap mac", local address, TAP name): the
 * same inputs give the same MAC, different TAPs or hosts practically never collide. Locally
 * administered (bit 1 of the first byte set), unicast (bit 0 clear), as IEEE 802 requires for
 * addresses nobody assigned.
 */
export function stableTapMac(identity: string, local: string, tap: string): Buffer {
  const digest = createHmac("sha256", identity).update(`vxswitch tap mac\0${local}\0${tap}`).digest();
  const mac = Buffer.from(digest.subarray(0, 6));
  mac[0] = (mac[0]! & 0xfe) | 0x02;
  return mac;
}

/** "02:00:5e:..." -> 6 bytes (the config schema has checked the form). */
function parseMacText(text: string): Buffer {
  return Buffer.from(text.replaceAll(":", ""), "hex");
}

/** The MAC a TAP gets: the configured one, or the stable derived one. */
export function tapMacFor(configured: string | undefined, local: string, tap: string, identity: () => string = hostIdentity): Buffer {
  return configured !== undefined ? parseMacText(configured) : stableTapMac(identity(), local, tap);
}
