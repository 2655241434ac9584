// Adds lockfile entries for rollup's platform packages that the registry mirror here does not serve,
// so `npm ci` finds package.json and package-lock.json in sync. Run after `npm install` changes the lock.
import { readFileSync, writeFileSync } from "node:fs";

const path = new URL("../package-lock.json", import.meta.url);
const lock = JSON.parse(readFileSync(path, "utf8"));
const packages = lock.packages;
const rollup = packages["node_modules/rollup"];
let added = 0;
for (const [name, version] of Object.entries(rollup?.optionalDependencies ?? {})) {
  const key = `node_modules/${name}`;
  if (packages[key]) continue;
  const [os, cpu] = name.split("/rollup-")[1].split("-");
  const entry = { version, cpu: [cpu], license: "MIT", optional: true, os: [os] };
  if (os === "linux") entry.libc = [name.includes("musl") ? "musl" : "glibc"];
  packages[key] = entry;
  added++;
}
lock.packages = Object.fromEntries(Object.entries(packages).sort(([a], [b]) => (a === "" ? -1 : b === "" ? 1 : a < b ? -1 : 1)));
writeFileSync(path, JSON.stringify(lock, null, 2) + "\n");
console.log(`added ${added} optional platform entries`);
