// How a port is named wherever a person reads or types it: the TAP, or TAP.VLAN for one VLAN of a trunk (as iproute2 names VLAN devices).

/** vlan 0 or absent: an access TAP, named as the TAP. */
export function portName(tap: string, vlan = 0): string {
  return vlan === 0 ? tap : `${tap}.${vlan}`;
}
