// iproute2's keyword form beside the flags: `fdb show dev vxtap42 vni 42` as well as `--dev vxtap42 --vni 42`.
import { UsageError } from "./usage-error.js";

/** keyword -> parser of its value (throws with the reason). */
export type KeywordParsers = Record<string, (value: string) => unknown>;

/**
 * Reads `KEY VALUE` pairs into the flags object: each keyword once, only known ones, and never
 * in conflict with the same setting given as a flag. Returns flags with the keywords merged in.
 */
export function mergeKeywords<T extends object>(words: readonly string[], parsers: KeywordParsers, flags: T, help: string): T {
  const out = { ...flags } as Record<string, unknown>;
  const seen = new Set<string>();
  for (let i = 0; i < words.length; i += 2) {
    const key = words[i]!;
    const parse = Object.hasOwn(parsers, key) ? parsers[key] : undefined;
    if (parse === undefined) throw new UsageError(`unexpected "${key}"; expected ${Object.keys(parsers).map((k) => `${k} ${k.toUpperCase()}`).join(", ")}`, help);
    const text = words[i + 1];
    if (text === undefined) throw new UsageError(`"${key}" needs a value`, help);
    if (seen.has(key)) throw new UsageError(`"${key}" is given twice`, help);
    seen.add(key);
    let value: unknown;
    try {
      value = parse(text);
    } catch (err) {
      throw new UsageError(err instanceof Error ? err.message : String(err), help);
    }
    if (out[key] !== undefined && out[key] !== value) throw new UsageError(`${key} ${text} contradicts --${key} ${String(out[key])}`, help);
    out[key] = value;
  }
  return out as T;
}
