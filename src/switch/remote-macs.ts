// MACs other hosts publish (etcd membership) and the ones this host publishes: FDB entries toward peers of the model.
import type { Fdb } from "./fdb.js";
import type { SwitchModel } from "./model.js";
import { parseMac } from "../wire/mac.js";

/** MACs of a segment behind local ports (learned or static), newest first, at most max: what membership publishes. */
export function localMacs(model: SwitchModel, fdb: Fdb, segmentId: number, max: number): string[] {
  const out: string[] = [];
  for (const e of fdb.entries(segmentId)) {
    if (out.length >= max) break;
    if (model.endpoints.isPort(e.endpoint)) out.push(e.mac);
  }
  return out;
}

/**
 * A MAC another host published: a learned entry toward its peer, so it is unicast from the
 * first frame, and a local sighting or a newer frame from elsewhere still moves it. Never
 * replaces a local entry. Installing it again refreshes its age. Returns false when skipped.
 */
export function installRemoteMac(model: SwitchModel, fdb: Fdb, segmentId: number, mac: string, address: string): boolean {
  const peer = model.peerAt(address);
  if (peer === undefined || !model.hasSegment(segmentId)) return false;
  const key = parseMac(mac);
  fdb.tick();
  const current = fdb.lookup(segmentId, key);
  if (current >= 0 && model.endpoints.isPort(current)) return false;
  fdb.learn(segmentId, key, peer.id);
  return true;
}

/** Withdraws a published MAC: the entry goes if it still points at that host. */
export function withdrawRemoteMac(model: SwitchModel, fdb: Fdb, segmentId: number, mac: string, address: string): boolean {
  const peer = model.peerAt(address);
  if (peer === undefined) return false;
  const key = parseMac(mac);
  return fdb.lookup(segmentId, key) === peer.id && fdb.remove(segmentId, key);
}
