// Facts about the underlay from the host: which interface holds the local address, and its MTU.
import { networkInterfaces } from "node:os";
import { isIP } from "node:net";

/** Name of the interface that carries `address` in this network namespace, or undefined. */
export function interfaceOfAddress(address: string): string | undefined {
  const want = normalize(address);
  for (const [name, addrs] of Object.entries(networkInterfaces())) {
    for (const a of addrs ?? []) if (normalize(a.address) === want) return name;
  }
  return undefined;
}

function normalize(address: string): string {
  const at = address.indexOf("%");
  const bare = at >= 0 ? address.slice(0, at) : address;
  return isIP(bare) === 6 ? bare.toLowerCase() : bare;
}
