// vxswitch against Open vSwitch's userspace VXLAN (options:key = VNI, UDP 4789): ping and iperf3
// both ways; tshark checks every packet vxswitch sends.
import { expect, it } from "vitest";
import { tallyFields } from "../helpers/dissection.js";
import { GRE_FIELD } from "../helpers/interop.js";
import { cleanUpLabsAfterAll, describeLab } from "../helpers/lab.js";
import { describeOvsInterop } from "../helpers/ovs-interop.js";

cleanUpLabsAfterAll();

describeLab("vxswitch <-> Open vSwitch (userspace datapath) over VXLAN", () => {
  describeOvsInterop({ label: "VNI 42 (MTU 1450)", tunnel: "vxlan", key: 42, mtu: 1450 }, (rig) => {
    it("uses VNI 42 both ways", async () => {
      const { lab, wire } = rig();
      const frames = await wire();
      for (const host of lab.hosts) {
        const vnis = tallyFields((frames.get(host.underlayV4) ?? []).filter((f) => f.protocols.includes(":vxlan")), (f) => [f.fields[GRE_FIELD.vni]!]);
        expect(Object.keys(vnis), `${host.name}: ${JSON.stringify(vnis)}`).toEqual(["42"]);
      }
    });
  });
});
