// ADDR:PORT as `--metrics` and the config's `metrics` key take it: IPv4, [IPv6] or a host name, and a port.
import { isIP } from "node:net";

export interface ListenAddress {
  host: string;
  port: number;
}

/** null when the text is not ADDR:PORT. */
export function tryParseListenAddress(text: string): ListenAddress | null {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^\s:[\]]+)):(\d{1,5})$/.exec(text.trim());
  if (m === null) return null;
  const host = m[1] ?? m[2]!;
  const port = Number(m[3]);
  if (port < 1 || port > 65535) return null;
  if (m[1] !== undefined && isIP(host) !== 6) return null;
  return { host, port };
}

export function parseListenAddress(text: string, what = "metrics"): ListenAddress {
  const addr = tryParseListenAddress(text);
  if (addr === null) throw new Error(`${what}: "${text}" is not ADDR:PORT (e.g. 127.0.0.1:9464 or [::1]:9464)`);
  return addr;
}
