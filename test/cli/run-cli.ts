/**
 * Run the irun CLI from the TypeScript sources as a user would, in any working folder:
 * `node --import tsx bin/dev.js ...` (no build needed; tsx resolved from this repo, so the
 * working folder can be a temp dir).
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const TSX = import.meta.resolve('tsx');
const DEV = path.join(ROOT, 'bin/dev.js');

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function irun(args: string[], cwd: string, env: Record<string, string> = {}): CliResult {
  const r = spawnSync(process.execPath, ['--import', TSX, DEV, ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', IRUN_ACTOR: 'tester', ...env },
    maxBuffer: 32 * 1024 * 1024,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
