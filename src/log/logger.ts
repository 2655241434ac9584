// Levelled logging, one line per event (text or JSON); a recurring problem logs its hint once and then only counts.

export const LOG_LEVELS = ["error", "warn", "info", "debug"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const LOG_FORMATS = ["text", "json"] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export interface LoggerOptions {
  level?: LogLevel;
  format?: LogFormat;
  /** Where a finished line goes; by default errors and warnings to stderr, the rest to stdout. */
  write?: (line: string, level: LogLevel) => void;
  now?: () => number;
  /** Repeats of a problem are summed and reported at most this often (default 60 s). */
  repeatIntervalMs?: number;
}

interface ProblemState {
  /** Occurrences since the last line about this problem. */
  pending: number;
  total: number;
  lastReportMs: number;
}

const RANK: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3 };
/** Text lines keep info unmarked (what `up` always printed); the others say what they are. */
const TEXT_PREFIX: Record<LogLevel, string> = { error: "error: ", warn: "warning: ", info: "", debug: "debug: " };

export class Logger {
  readonly level: LogLevel;
  readonly format: LogFormat;
  readonly #write: (line: string, level: LogLevel) => void;
  readonly #now: () => number;
  readonly #repeatMs: number;
  readonly #problems = new Map<string, ProblemState>();

  constructor(opts: LoggerOptions = {}) {
    this.level = opts.level ?? "info";
    this.format = opts.format ?? "text";
    this.#write = opts.write ?? ((line, level) => (RANK[level] <= RANK.warn ? process.stderr : process.stdout).write(`${line}\n`));
    this.#now = opts.now ?? Date.now;
    this.#repeatMs = opts.repeatIntervalMs ?? 60_000;
  }

  enabled(level: LogLevel): boolean {
    return RANK[level] <= RANK[this.level];
  }

  log(level: LogLevel, message: string, fields: Record<string, unknown> = {}): void {
    if (!this.enabled(level)) return;
    if (this.format === "json") {
      this.#write(JSON.stringify({ time: new Date(this.#now()).toISOString(), level, msg: message, ...fields }), level);
      return;
    }
    const extra = Object.entries(fields).map(([k, v]) => ` ${k}=${typeof v === "string" && !/\s/.test(v) ? v : JSON.stringify(v)}`).join("");
    this.#write(`${TEXT_PREFIX[level]}${message}${extra}`, level);
  }

  error(message: string, fields?: Record<string, unknown>): void {
    this.log("error", message, fields);
  }

  warn(message: string, fields?: Record<string, unknown>): void {
    this.log("warn", message, fields);
  }

  info(message: string, fields?: Record<string, unknown>): void {
    this.log("info", message, fields);
  }

  debug(message: string, fields?: Record<string, unknown>): void {
    this.log("debug", message, fields);
  }

  /**
   * `count` more occurrences of the problem `key`. The first logs `message` with its `hint`;
   * later ones are summed and reported as one line at most every repeatIntervalMs, so a problem
   * that happens a million times a second costs one line a minute.
   */
  problem(key: string, count: number, message: string, hint: string, level: LogLevel = "warn"): void {
    if (count <= 0) return;
    const now = this.#now();
    const state = this.#problems.get(key);
    if (state === undefined) {
      this.#problems.set(key, { pending: 0, total: count, lastReportMs: now });
      this.log(level, `${message} (hint: ${hint})`, { problem: key, count });
      return;
    }
    state.pending += count;
    state.total += count;
    if (now - state.lastReportMs >= this.#repeatMs) this.#report(key, state, level, now);
  }

  /** Reports every problem with repeats not yet reported (e.g. on shutdown). */
  flushProblems(level: LogLevel = "warn"): void {
    const now = this.#now();
    for (const [key, state] of this.#problems) if (state.pending > 0) this.#report(key, state, level, now);
  }

  /** How often each problem happened since start. */
  problemTotals(): Record<string, number> {
    return Object.fromEntries([...this.#problems].map(([k, s]) => [k, s.total]));
  }

  #report(key: string, state: ProblemState, level: LogLevel, now: number): void {
    const seconds = Math.max(1, Math.round((now - state.lastReportMs) / 1000));
    this.log(level, `${key}: ${state.pending} more in the last ${seconds} s (${state.total} since start)`, { problem: key, count: state.pending, total: state.total });
    state.pending = 0;
    state.lastReportMs = now;
  }
}
