// Shared by the encryption integration tests: a key file in the lab's temp dir, and an iperf3
// run between two containers that must get through.
import { chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "vitest";
import { generateKey } from "../../src/io/key-file.js";
import { labTempDir } from "../../lab/netns.js";
import type { LabContainer } from "../../lab/topology.js";
import { iperfClient, startIperfServer, type IperfResult } from "../../lab/traffic.js";

/** A fresh key file (mode 0600) named `name` in this run's temp dir. */
export function keyFile(name = "shared.key"): string {
  const path = join(labTempDir(), name);
  writeFileSync(path, `${generateKey()}\n`, { mode: 0o600 });
  chmodSync(path, 0o600);
  return path;
}

/** iperf3 TCP from one container to another for `seconds`; fails below 50 Mbit/s with `state()` attached. */
export async function expectIperfThrough(from: LabContainer, to: LabContainer, state: () => Promise<string>, seconds = 3): Promise<IperfResult> {
  const server = await startIperfServer(to.ns, to.address);
  try {
    const r = await iperfClient(from.ns, to.address, { seconds });
    expect(r.bitsPerSecond, await state()).toBeGreaterThan(50e6);
    return r;
  } finally {
    await server.stop();
  }
}
