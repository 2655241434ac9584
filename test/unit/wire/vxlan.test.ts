import { describe, expect, it } from "vitest";
import {
  checkVxlan, VNI_MAX, VXLAN_FLAG_I, VXLAN_HEADER_LEN, vxlanFlags, VxlanReason, vxlanVni, writeVxlanHeader,
} from "../../../src/wire/vxlan.js";
import { VXLAN6_TAGGED, VXLAN_ARP } from "./vectors.js";

const VX = 42; // VXLAN header offset in VXLAN_ARP (tshark: vxlan.vni=42, flags 0x0800)
const VX6 = 62; // in VXLAN6_TAGGED (tshark: vxlan.vni=1193046)

describe("VXLAN header", () => {
  it("reads the VNI tshark decoded: 42 over IPv4 and 0x123456 over IPv6", () => {
    expect(checkVxlan(VXLAN_ARP, VX, VXLAN_ARP.length - VX)).toBeNull();
    expect(vxlanFlags(VXLAN_ARP, VX)).toBe(VXLAN_FLAG_I);
    expect(vxlanVni(VXLAN_ARP, VX)).toBe(42);
    expect(vxlanVni(VXLAN6_TAGGED, VX6)).toBe(0x123456);
  });

  it("writes the 8 bytes tshark accepted, in front of the inner frame", () => {
    const buf = Buffer.alloc(8, 0xee);
    expect(writeVxlanHeader(buf, 0, 42)).toBe(VXLAN_HEADER_LEN);
    expect(buf).toEqual(VXLAN_ARP.subarray(VX, VX + 8));
    writeVxlanHeader(buf, 0, 0x123456);
    expect(buf.toString("hex")).toBe("0800000012345600");
    expect(buf).toEqual(VXLAN6_TAGGED.subarray(VX6, VX6 + 8));
    writeVxlanHeader(buf, 0, VNI_MAX);
    expect([checkVxlan(buf, 0, 8), vxlanVni(buf, 0)]).toEqual([null, VNI_MAX]);
  });

  it("drops a VXLAN packet whose I flag is clear", () => {
    const buf = Buffer.from(VXLAN_ARP.subarray(VX));
    buf[0] = 0x00;
    expect(checkVxlan(buf, 0, buf.length)).toBe(VxlanReason.iFlagClear);
    buf[0] = 0xf7; // every bit but I
    expect(checkVxlan(buf, 0, buf.length)).toBe(VxlanReason.iFlagClear);
  });

  it("ignores reserved bits on receipt", () => {
    const buf = Buffer.from(VXLAN_ARP.subarray(VX));
    buf[0] = 0xff;
    buf[1] = buf[2] = buf[3] = buf[7] = 0xff;
    expect(checkVxlan(buf, 0, buf.length)).toBeNull();
    expect(vxlanVni(buf, 0)).toBe(42);
  });

  it("drops a packet shorter than the 8-byte header", () => {
    expect(checkVxlan(VXLAN_ARP, VX, 7)).toBe(VxlanReason.truncated);
    expect(checkVxlan(VXLAN_ARP, VXLAN_ARP.length - 4, 8)).toBe(VxlanReason.truncated);
  });
});
