import { describe, expect, it } from "vitest";
import { DROP_REASONS, dropReasonName } from "../../../src/switch/forwarder.js";
import { DropReason, decisionDrop } from "../../../src/dataplane/stats.js";

describe("decisionDrop", () => {
  it("counts every forwarder drop code under the DropReason of the same name", () => {
    for (const code of DROP_REASONS) {
      const name = dropReasonName(code) as keyof typeof DropReason;
      expect(decisionDrop(code)).toBe(DropReason[name]);
    }
  });
});
