// VXLAN network identifiers (24 bits) and VLAN ids (12 bits): range checks for the control path.

import { VNI_MAX } from "../wire/vxlan.js";

/** 4095 is reserved by 802.1Q; 0 means untagged here. */
const MAX_VLAN = 4094;

export function checkVni(vni: number): void {
  if (!Number.isInteger(vni) || vni < 0 || vni > VNI_MAX) {
    throw new RangeError(`invalid VNI ${vni} (a VNI is an integer from 0 to ${VNI_MAX})`);
  }
}

/** A segment id as the FDB keys it: a VNI (24 bits) or a GRE key (32 bits). */
export function checkSegmentId(id: number): void {
  if (!Number.isInteger(id) || id < 0 || id > 0xffff_ffff) {
    throw new RangeError(`invalid segment id ${id} (a VNI or GRE key: an integer from 0 to 4294967295)`);
  }
}

export function checkVlan(vlan: number): void {
  if (!Number.isInteger(vlan) || vlan < 0 || vlan > MAX_VLAN) {
    throw new RangeError(`invalid VLAN ${vlan} (0 = untagged, or a tag from 1 to ${MAX_VLAN})`);
  }
}

export function checkEndpointId(id: number): void {
  if (!Number.isInteger(id) || id < 0) throw new RangeError(`invalid endpoint id ${id}`);
}
