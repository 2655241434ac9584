// Network namespaces for labs: create them, run and spawn commands inside, and remove everything
// a run created (namespaces, processes, temp dirs), also on failure, exit and SIGINT/SIGTERM.
import { execFile, execFileSync, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Every namespace a lab creates carries this prefix; nothing else is ever created or deleted. */
export const NETNS_PREFIX = "vxs-";
const NETNS_NAME = /^vxs-[A-Za-z0-9._-]{1,200}$/;

/** A command that exited non-zero, timed out or could not start, with what it printed. */
export class CommandError extends Error {
  constructor(
    message: string,
    readonly argv: readonly string[],
    readonly exitCode: number | null,
    readonly stdout: string,
    readonly stderr: string,
  ) {
    super(message);
    this.name = "CommandError";
  }
}

export interface ExecOptions {
  /** Kill the command after this long (default 30 s). */
  timeoutMs?: number;
  /** Extra environment variables. */
  env?: Record<string, string>;
}

export interface ExecResult {
  stdout: string;
  stderr: string;
  /** Exit code; null when killed by a signal (e.g. the timeout). */
  code: number | null;
}

const DEFAULT_TIMEOUT_MS = 30_000;

/** Runs a command and resolves with its output and exit code; rejects only if it cannot start. */
export function runResult(argv: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
  const [file, ...args] = argv;
  if (file === undefined) return Promise.reject(new Error("empty command"));
  return new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      {
        timeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
        killSignal: "SIGKILL",
        maxBuffer: 64 * 1024 * 1024,
        env: options.env === undefined ? process.env : { ...process.env, ...options.env },
        encoding: "utf8",
      },
      (error, stdout, stderr) => {
        if (error === null) {
          resolve({ stdout, stderr, code: 0 });
          return;
        }
        const code = (error as NodeJS.ErrnoException).code;
        if (typeof code === "string") {
          // ENOENT and friends: the program itself is missing.
          reject(new CommandError(`cannot run ${file}: ${error.message}`, argv, null, stdout, stderr));
          return;
        }
        resolve({ stdout, stderr, code: typeof code === "number" ? code : null });
      },
    );
  });
}

/** Runs a command and resolves with its stdout; rejects with a CommandError unless it exits 0. */
export async function run(argv: readonly string[], options: ExecOptions = {}): Promise<string> {
  const result = await runResult(argv, options);
  if (result.code !== 0) {
    const how = result.code === null ? "was killed (timeout?)" : `exited with ${result.code}`;
    const detail = result.stderr.trim() || result.stdout.trim();
    throw new CommandError(
      `\`${argv.join(" ")}\` ${how}${detail ? `: ${detail}` : ""}`,
      argv,
      result.code,
      result.stdout,
      result.stderr,
    );
  }
  return result.stdout;
}

/**
 * Runs a command and hands each line of its stdout to `onLine` as it arrives, with no limit on
 * the total size (tshark over a capture of a TCP transfer prints far more than fits a buffer).
 * Rejects with a CommandError unless the command exits 0 within the timeout; an unterminated
 * last line is passed on only after a clean exit.
 */
export function runLines(argv: readonly string[], onLine: (line: string) => void, options: ExecOptions = {}): Promise<void> {
  const [file, ...args] = argv;
  if (file === undefined) return Promise.reject(new Error("empty command"));
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      stdio: ["ignore", "pipe", "pipe"],
      env: options.env === undefined ? process.env : { ...process.env, ...options.env },
    });
    let stderr = "";
    let pending = "";
    let failure: Error | undefined;
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    child.stdout.setEncoding("utf8");
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (chunk: string) => {
      if (stderr.length < 64 * 1024) stderr += chunk;
    });
    child.stdout.on("data", (chunk: string) => {
      const lines = (pending + chunk).split("\n");
      pending = lines.pop() ?? "";
      try {
        for (const line of lines) onLine(line);
      } catch (error) {
        failure ??= error instanceof Error ? error : new Error(String(error));
        child.kill("SIGKILL");
      }
    });
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(new CommandError(`cannot run ${file}: ${error.message}`, argv, null, "", stderr));
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      if (failure !== undefined) {
        reject(failure);
        return;
      }
      if (code === 0) {
        if (pending !== "") onLine(pending);
        resolve();
        return;
      }
      const how = code === null ? "was killed (timeout?)" : `exited with ${code}`;
      reject(new CommandError(`\`${argv.join(" ")}\` ${how}${stderr.trim() ? `: ${stderr.trim()}` : ""}`, argv, code, "", stderr));
    });
  });
}

/** `ip netns exec NS argv...`, resolving with stdout (rejects unless the command exits 0). */
export function nsExec(ns: string, argv: readonly string[], options: ExecOptions = {}): Promise<string> {
  assertLabNamespace(ns);
  return run(["ip", "netns", "exec", ns, ...argv], options);
}

/** `ip netns exec NS argv...`, resolving with output and exit code whatever the exit code. */
export function nsExecResult(ns: string, argv: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
  assertLabNamespace(ns);
  return runResult(["ip", "netns", "exec", ns, ...argv], options);
}

/** `ip -n NS args...` (iproute2 inside the namespace), resolving with stdout. */
export function ipIn(ns: string, args: readonly string[], options: ExecOptions = {}): Promise<string> {
  assertLabNamespace(ns);
  return run(["ip", "-n", ns, ...args], options);
}

/** Sets sysctls inside a namespace: `sysctlIn(ns, { "net.ipv4.ip_forward": 1 })`. */
export async function sysctlIn(ns: string, values: Record<string, string | number>): Promise<void> {
  const assignments = Object.entries(values).map(([key, value]) => `${key}=${value}`);
  if (assignments.length > 0) await nsExec(ns, ["sysctl", "-q", "-w", ...assignments]);
}

export function assertLabNamespace(ns: string): void {
  if (!NETNS_NAME.test(ns)) {
    throw new Error(`refusing to touch namespace "${ns}": lab namespaces are named ${NETNS_PREFIX}<suffix>`);
  }
}

// ---------------------------------------------------------------------------------------------
// Registry of everything created by this process.

const namespaces = new Set<string>();
const processes = new Set<NsProcess>();
const tempDirs = new Set<string>();
let counter = 0;
let handlersInstalled = false;

/** A name unique to this process and call: `vxs-<pid>-<n>` (add role suffixes to it). */
export function uniqueName(): string {
  counter += 1;
  return `${NETNS_PREFIX}${process.pid}-${counter}`;
}

/** Creates a namespace (lo up) and registers it for cleanup. */
export async function createNamespace(name: string): Promise<string> {
  assertLabNamespace(name);
  installCleanupHandlers();
  await run(["ip", "netns", "add", name]);
  namespaces.add(name);
  await run(["ip", "-n", name, "link", "set", "lo", "up"]);
  return name;
}

/** Kills every process in a namespace (TERM, then KILL) and deletes it. Absent is fine. */
export async function deleteNamespace(name: string): Promise<void> {
  assertLabNamespace(name);
  for (const proc of [...processes]) {
    if (proc.ns === name) await proc.stop();
  }
  await killNamespacePids(name, "TERM");
  for (let i = 0; i < 20 && (await namespacePids(name)).length > 0; i += 1) await sleep(50);
  await killNamespacePids(name, "KILL");
  const result = await runResult(["ip", "netns", "del", name]);
  namespaces.delete(name);
  if (result.code !== 0 && (await namespaceExists(name))) {
    throw new Error(`cannot delete namespace ${name}: ${result.stderr.trim()}`);
  }
}

export async function namespaceExists(name: string): Promise<boolean> {
  const out = await run(["ip", "netns", "list"]);
  return out.split("\n").some((line) => line.split(" ")[0] === name);
}

async function namespacePids(name: string): Promise<number[]> {
  const result = await runResult(["ip", "netns", "pids", name]);
  if (result.code !== 0) return [];
  return parsePids(result.stdout);
}

async function killNamespacePids(name: string, signal: "TERM" | "KILL"): Promise<void> {
  const pids = await namespacePids(name);
  for (const pid of pids) {
    try {
      process.kill(pid, signal === "TERM" ? "SIGTERM" : "SIGKILL");
    } catch {
      // already gone
    }
  }
}

function parsePids(text: string): number[] {
  return text
    .split(/\s+/)
    .filter((s) => /^\d+$/.test(s))
    .map(Number)
    .filter((pid) => pid !== process.pid);
}

/** A temporary directory (control sockets, captures, configs) removed by cleanupAll(). */
export function labTempDir(): string {
  installCleanupHandlers();
  const dir = mkdtempSync(join(tmpdir(), `${NETNS_PREFIX}${process.pid}-`));
  tempDirs.add(dir);
  return dir;
}

// ---------------------------------------------------------------------------------------------
// Long-running processes inside a namespace.

export interface SpawnOptions {
  env?: Record<string, string>;
}

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A process started with `ip netns exec` (which execs, so the pid is the command's own). */
export class NsProcess {
  readonly child: ChildProcess;
  stdout = "";
  stderr = "";
  exitStatus: ExitStatus | undefined;
  readonly exited: Promise<ExitStatus>;
  private readonly waiters = new Set<() => void>();

  constructor(
    readonly ns: string,
    readonly argv: readonly string[],
    options: SpawnOptions = {},
  ) {
    assertLabNamespace(ns);
    installCleanupHandlers();
    this.child = spawn("ip", ["netns", "exec", ns, ...argv], {
      stdio: ["ignore", "pipe", "pipe"],
      env: options.env === undefined ? process.env : { ...process.env, ...options.env },
    });
    processes.add(this);
    this.child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
      this.stdout += chunk;
      this.notify();
    });
    this.child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
      this.stderr += chunk;
      this.notify();
    });
    this.exited = new Promise((resolve) => {
      const done = (status: ExitStatus): void => {
        if (this.exitStatus !== undefined) return;
        this.exitStatus = status;
        processes.delete(this);
        this.notify();
        resolve(status);
      };
      this.child.on("exit", (code, signal) => done({ code, signal }));
      this.child.on("error", (error) => {
        this.stderr += `\n${error.message}`;
        done({ code: null, signal: null });
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.exitStatus === undefined;
  }

  /** What the command is, for error messages. */
  describe(): string {
    return `\`${this.argv.join(" ")}\` in ${this.ns}`;
  }

  /**
   * Resolves with the first match of `pattern` in stdout or stderr (or the chosen stream).
   * Rejects if the process exits first or on timeout, quoting what it printed.
   */
  waitFor(pattern: RegExp, options: { stream?: "stdout" | "stderr" | "both"; timeoutMs?: number } = {}): Promise<RegExpMatchArray> {
    const stream = options.stream ?? "both";
    const timeoutMs = options.timeoutMs ?? 10_000;
    const search = (): RegExpMatchArray | null => {
      if (stream !== "stderr") {
        const m = this.stdout.match(pattern);
        if (m !== null) return m;
      }
      if (stream !== "stdout") return this.stderr.match(pattern);
      return null;
    };
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const match = search();
        if (match !== null) {
          finish();
          resolve(match);
        } else if (this.exitStatus !== undefined) {
          finish();
          reject(new Error(`${this.describe()} exited (${formatExit(this.exitStatus)}) before printing ${pattern}${this.transcript()}`));
        }
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`${this.describe()} did not print ${pattern} within ${timeoutMs} ms${this.transcript()}`));
      }, timeoutMs);
      const finish = (): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
      check();
    });
  }

  /** Sends `signal` (default SIGTERM), waits up to timeoutMs, then SIGKILLs. Resolves with the exit. */
  async stop(signal: NodeJS.Signals = "SIGTERM", timeoutMs = 5_000): Promise<ExitStatus> {
    if (this.exitStatus !== undefined) return this.exitStatus;
    this.child.kill(signal);
    const timedOut = Symbol("timeout");
    let timer: NodeJS.Timeout | undefined;
    const winner = await Promise.race([
      this.exited,
      new Promise<typeof timedOut>((resolve) => {
        timer = setTimeout(() => resolve(timedOut), timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    if (winner !== timedOut) return winner;
    this.child.kill("SIGKILL");
    return this.exited;
  }

  /** Stdout and stderr, indented, for error messages. */
  transcript(): string {
    const parts: string[] = [];
    if (this.stdout.trim()) parts.push(`stdout:\n${indent(this.stdout)}`);
    if (this.stderr.trim()) parts.push(`stderr:\n${indent(this.stderr)}`);
    return parts.length === 0 ? " (no output)" : `\n${parts.join("\n")}`;
  }

  private notify(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}

export function spawnIn(ns: string, argv: readonly string[], options: SpawnOptions = {}): NsProcess {
  return new NsProcess(ns, argv, options);
}

export function formatExit(status: ExitStatus): string {
  return status.signal !== null ? `signal ${status.signal}` : `code ${status.code}`;
}

function indent(text: string): string {
  const lines = text.trimEnd().split("\n");
  const tail = lines.length > 40 ? ["  ...", ...lines.slice(-40)] : lines;
  return tail.map((line) => `  ${line}`).join("\n");
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `ready` (a throw counts as not yet) until it holds; fails with `message()` after `timeoutMs`. */
export async function waitUntil(ready: () => Promise<boolean>, timeoutMs: number, message: () => string, intervalMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await ready().catch(() => false)) return;
    await sleep(intervalMs);
  }
  throw new Error(message());
}

// ---------------------------------------------------------------------------------------------
// Cleanup.

/** Stops every process and deletes every namespace and temp dir this process created. */
export async function cleanupAll(): Promise<void> {
  const errors: string[] = [];
  await Promise.all([...processes].map((proc) => proc.stop().catch(() => undefined)));
  for (const ns of [...namespaces].reverse()) {
    try {
      await deleteNamespace(ns);
    } catch (error) {
      errors.push(error instanceof Error ? error.message : String(error));
    }
  }
  removeTempDirs();
  if (errors.length > 0) throw new Error(`lab cleanup incomplete:\n${errors.join("\n")}`);
}

/** Synchronous cleanupAll for 'exit' and signal handlers, where nothing async runs any more. */
export function cleanupAllSync(): void {
  for (const proc of processes) {
    try {
      proc.child.kill("SIGKILL");
    } catch {
      // gone
    }
  }
  processes.clear();
  for (const ns of [...namespaces].reverse()) {
    try {
      const pids = parsePids(execFileSync("ip", ["netns", "pids", ns], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }));
      for (const pid of pids) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          // gone
        }
      }
    } catch {
      // namespace already gone
    }
    try {
      execFileSync("ip", ["netns", "del", ns], { stdio: "ignore" });
    } catch {
      // namespace already gone
    }
    namespaces.delete(ns);
  }
  removeTempDirs();
}

function removeTempDirs(): void {
  for (const dir of tempDirs) {
    rmSync(dir, { recursive: true, force: true });
    tempDirs.delete(dir);
  }
}

/** Installs (once) 'exit', SIGINT, SIGTERM and SIGHUP handlers that run cleanupAllSync(). */
export function installCleanupHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on("exit", cleanupAllSync);
  const onSignal = (signal: NodeJS.Signals, number: number): void => {
    if (namespaces.size > 0 || processes.size > 0) {
      process.stderr.write(`\n${signal}: removing lab namespaces ${[...namespaces].join(" ")}\n`);
    }
    cleanupAllSync();
    process.exit(128 + number);
  };
  process.once("SIGINT", () => onSignal("SIGINT", 2));
  process.once("SIGTERM", () => onSignal("SIGTERM", 15));
  process.once("SIGHUP", () => onSignal("SIGHUP", 1));
}
