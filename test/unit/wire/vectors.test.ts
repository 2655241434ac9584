import { describe, expect, it } from "vitest";
import { buildVectors } from "../../vectors/vectors.js";
import { ALL_VECTORS } from "./vectors.js";

describe("tshark-verified vectors", () => {
  it("are still what the emitters build, byte for byte", () => {
    const built = buildVectors();
    expect(built.length).toBe(ALL_VECTORS.length);
    built.forEach((frame, i) => expect(frame.toString("hex"), `frame ${i + 1}`).toBe(ALL_VECTORS[i].toString("hex")));
  });
});
