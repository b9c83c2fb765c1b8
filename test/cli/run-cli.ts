/**
 * The authoring tests' form of the CLI runner: `irun(args, cwd, env)` with `status`, over the
 * one spawn helper in ./helpers.ts (the built CLI, as a user runs it).
 */
import { irun as spawnIrun } from './helpers.js';

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function irun(args: string[], cwd: string, env: Record<string, string> = {}): CliResult {
  const r = spawnIrun(args, { cwd, env });
  return { status: r.code, stdout: r.stdout, stderr: r.stderr };
}
