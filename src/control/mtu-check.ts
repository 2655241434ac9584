// A configured overlay MTU the underlay cannot carry is not an error (the operator may know better,
// e.g. a jumbo path beyond the first hop) but must not pass in silence: one warning per segment.
import type { Plan } from "./plan.js";
import { portName } from "../switch/port-name.js";

/** One warning line per segment whose MTU exceeds what the underlay carries unfragmented. */
export function mtuWarnings(plan: Plan): string[] {
  const underlay = plan.underlayInterface === undefined ? `an assumed underlay mtu of ${plan.underlayMtu} (no interface holds the local address here)` : `underlay ${plan.underlayInterface} mtu ${plan.underlayMtu}`;
  return plan.segments
    .filter((s) => s.mtu > s.mtuLimit)
    .map((s) => {
      const where = portName(s.tap, s.vlan);
      return `warning: segment ${s.id} (${where}): mtu ${s.mtu} is more than ${underlay} allows (${s.mtuLimit} after ${plan.underlayMtu - s.mtuLimit} bytes of encapsulation); larger frames leave as fragmented underlay packets or are lost`;
    });
}
