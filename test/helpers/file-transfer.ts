// A file of random bytes sent over one TCP connection between two lab containers, its length
// and sha256 taken at the receiver; and the kernel's checksum-error counters of a namespace.
import { createHash, randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { labTempDir, nsExec, spawnIn } from "../../lab/netns.js";
import type { LabContainer } from "../../lab/topology.js";

/** Receives one TCP connection and prints its length and sha256. */
const RECEIVER_PY = `
import hashlib, socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2])))
s.listen(1)
print("listening", flush=True)
c, _ = s.accept()
h, n = hashlib.sha256(), 0
while True:
    b = c.recv(1 << 20)
    if not b:
        break
    h.update(b)
    n += len(b)
print("received", n, h.hexdigest(), flush=True)
`;

/** Sends a file over one TCP connection (sendfile: the kernel hands the TAP TSO super-frames). */
const SENDER_PY = `
import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=20)
with open(sys.argv[3], "rb") as f:
    s.sendfile(f)
s.shutdown(socket.SHUT_WR)
s.close()
`;

export interface RandomFile {
  path: string;
  bytes: number;
  sha256: string;
}

/** A file of `bytes` random bytes in the lab's temp dir (removed with the lab's cleanup). */
export function randomFile(bytes: number): RandomFile {
  const data = randomBytes(bytes);
  const path = join(labTempDir(), "random.bin");
  writeFileSync(path, data);
  return { path, bytes, sha256: createHash("sha256").update(data).digest("hex") };
}

export interface Received {
  bytes: number;
  sha256: string;
}

/** Sends `file` from one container to another over TCP `port`; resolves with what arrived. */
export async function sendFile(from: LabContainer, to: LabContainer, file: RandomFile, port = 7070): Promise<Received> {
  const receiver = spawnIn(to.ns, ["python3", "-c", RECEIVER_PY, to.address, String(port)]);
  try {
    await receiver.waitFor(/listening/, { stream: "stdout" });
    await nsExec(from.ns, ["python3", "-c", SENDER_PY, to.address, String(port), file.path], { timeoutMs: 60_000 });
    const [, bytes, hash] = await receiver.waitFor(/received (\d+) ([0-9a-f]{64})/, { stream: "stdout", timeoutMs: 30_000 });
    return { bytes: Number(bytes), sha256: hash ?? "" };
  } finally {
    await receiver.stop("SIGKILL");
  }
}

/** Every *CsumErrors counter of a namespace (nstat: absolute, zeros too, history untouched). */
export async function csumErrors(ns: string): Promise<Record<string, number>> {
  const parsed = JSON.parse(await nsExec(ns, ["nstat", "-asz", "--json"])) as { kernel?: Record<string, number> };
  const out: Record<string, number> = {};
  for (const [name, value] of Object.entries(parsed.kernel ?? {})) if (/CsumErr/.test(name)) out[name] = value;
  return out;
}

/** The counters that changed between two readings, by how much. */
export function grown(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, value] of Object.entries(after)) if (value !== (before[name] ?? 0)) out[name] = value - (before[name] ?? 0);
  return out;
}
