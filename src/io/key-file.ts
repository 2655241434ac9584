// The pre-shared key file of encrypted tunnels: 32 random bytes as base64 (like `wg genkey`) or hex, mode 0600.
import { randomBytes } from "node:crypto";
import { readFileSync, statSync } from "node:fs";

const PSK_BYTES = 32;

/** Reads and checks a key file; every refusal says what to do about it. */
export function readKeyFile(path: string): Buffer {
  let mode: number;
  try {
    mode = statSync(path).mode;
  } catch (err) {
    throw new Error(`cannot read key file ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)} (make one with: vxswitch genkey > ${path}; chmod 600 ${path})`);
  }
  // A key others on the host can read is a key they hold: refuse, as ssh does with private keys.
  if ((mode & 0o077) !== 0) {
    throw new Error(`key file ${path} is readable or writable by group/others (mode ${(mode & 0o777).toString(8).padStart(4, "0")}): chmod 600 ${path}`);
  }
  return parseKey(readFileSync(path, "utf8"), path);
}

/** The 32 key bytes of a key file's text: base64 (44 characters) or hex (64), surrounding whitespace ignored. */
export function parseKey(text: string, source: string): Buffer {
  const t = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(t)) return Buffer.from(t, "hex");
  if (/^[A-Za-z0-9+/]{43}=$/.test(t)) return Buffer.from(t, "base64");
  throw new Error(`key file ${source} must hold ${PSK_BYTES} random bytes as base64 (44 characters) or hex (64 characters); make one with: vxswitch genkey`);
}

/** A new key as a key file holds it. */
export function generateKey(): string {
  return randomBytes(PSK_BYTES).toString("base64");
}
