// How a place in a configuration is named in errors: `segments[0].vlans.100`, as a person reads the file.

/** ["segments", 0, "brige"] -> "segments[0].brige"; the empty path is "(top level)". */
export function formatConfigPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out === "" ? String(part) : `.${String(part)}`;
  }
  return out === "" ? "(top level)" : out;
}
