// How the lab's and the bench's commands run: main's exit code, or one line saying why it failed.
import { pathToFileURL } from "node:url";

/** Runs main and sets the exit code it returns (0 when it returns nothing); an error is one line and exit code 1. */
export function runMain(name: string, main: () => Promise<number | void>): void {
  main().then(
    (code) => {
      process.exitCode = code ?? 0;
    },
    (error: unknown) => {
      console.error(`${name} failed: ${error instanceof Error ? error.message : String(error)}`);
      process.exitCode = 1;
    },
  );
}

/** Whether the module at moduleUrl (its import.meta.url) is the program node was started with, not a module a test imports. */
export function isEntry(moduleUrl: string): boolean {
  return process.argv[1] !== undefined && moduleUrl === pathToFileURL(process.argv[1]).href;
}

/** runMain, only when the module is the program node was started with. */
export function runMainIfEntry(moduleUrl: string, name: string, main: () => Promise<number | void>): void {
  if (isEntry(moduleUrl)) runMain(name, main);
}
