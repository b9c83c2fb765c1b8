/** Run the built CLI (dist/, made by `npm test`'s build step) as a child process. */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const BIN = path.join(ROOT, 'bin/run.js');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function irun(
  args: string[],
  options: { cwd?: string; env?: Record<string, string | undefined>; input?: string } = {},
): CliResult {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: options.cwd ?? ROOT,
    env: { ...process.env, NO_COLOR: '1', CI: '1', IRUN_ACTOR: 'tester@ci', ...options.env },
    encoding: 'utf8',
    input: options.input ?? '',
    timeout: 60_000,
    maxBuffer: 32 * 1024 * 1024,
  });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}
