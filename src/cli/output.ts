// Output options as `ip` has them: -j (JSON), -p (pretty JSON), -s (statistics).

export interface OutputFlags {
  json?: boolean;
  pretty?: boolean;
  stats?: boolean;
}

/** JSON on one line as `ip -j` prints it; indented with -p. */
export function formatJson(value: unknown, flags: OutputFlags): string {
  return JSON.stringify(value, null, flags.pretty === true ? 2 : undefined);
}
