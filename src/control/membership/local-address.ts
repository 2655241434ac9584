// Whether an address belongs to this host (its network namespace): a switch registers only its own.
import { networkInterfaces } from "node:os";

export function isLocalAddress(address: string): boolean {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.address === address) return true;
  }
  return false;
}
