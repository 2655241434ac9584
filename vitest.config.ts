import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Integration tests build network namespaces; running them in parallel files is safe
    // (unique names) but the machine has 2 cores, so keep one file at a time for stable timing.
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
    reporters: ["default"],
  },
});
