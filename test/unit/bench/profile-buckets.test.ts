import { describe, expect, it } from "vitest";
import { bucketSamples } from "../../../bench/profile-buckets.js";

describe("profile buckets", () => {
  it("sorts perf symbols into what the code does, shares summing to 1", () => {
    const buckets = bucketSamples([
      { percent: 10, dso: "[kernel.kallsyms]", symbol: "_copy_to_iter" },
      { percent: 5, dso: "vxswitch_native.node", symbol: "vxs_tso_split" },
      { percent: 5, dso: "libc.so.6", symbol: "__memmove_avx512_unaligned_erms" },
      { percent: 2, dso: "vxswitch_native.node", symbol: "udp_send" },
      { percent: 3, dso: "[JIT] tid 7", symbol: "LazyCompile:*processBatch" },
      { percent: 5, dso: "[kernel.kallsyms]", symbol: "finish_task_switch.isra.0" },
      { percent: 60, dso: "[kernel.kallsyms]", symbol: "br_nf_pre_routing" },
      { percent: 10, dso: "[vdso]", symbol: "__vdso_clock_gettime" },
    ]);
    const share = Object.fromEntries(buckets.map((b) => [b.name.split(" (")[0], b.share]));
    expect(share["copies between kernel and user space"]).toBeCloseTo(0.1);
    expect(share["copies and checksums in vxswitch"]).toBeCloseTo(0.1);
    expect(share["the rest of vxswitch's C"]).toBeCloseTo(0.02);
    expect(share["JavaScript and V8"]).toBeCloseTo(0.03);
    expect(share["scheduling, sleeping and wakeups"]).toBeCloseTo(0.05);
    expect(share["kernel network stack"]).toBeCloseTo(0.6);
    expect(share.other).toBeCloseTo(0.1);
    expect(buckets.reduce((s, b) => s + b.share, 0)).toBeCloseTo(1);
  });
});
