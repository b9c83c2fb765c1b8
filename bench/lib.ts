/** Shared pieces of the benchmarks: timing child processes, statistics, result lines. */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
/** The repository root, from bench/ (tsx) or dist/bench/ (compiled). */
export const ROOT = path.resolve(here, here.split(path.sep).includes('dist') ? '../..' : '..');
/** The compiled bench folder, where child-process entry points live. */
export const BENCH_DIST = path.join(ROOT, 'dist/bench');

export interface Figure {
  name: string;
  value: number;
  unit: string;
  /** Human-readable target, e.g. "≤ 1.5× ajv-cli". */
  target?: string;
  pass?: boolean;
  /** Extra numbers behind the figure (the two sides of a ratio, repetitions). */
  details?: Record<string, unknown>;
}

export interface BenchOptions {
  quick: boolean;
  /** Absolute time limit of one child process, in ms. */
  childTimeoutMs: number;
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export const round = (v: number, digits = 2): number => {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
};

export interface ChildRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  wallMs: number;
  stdout: string;
  stderr: string;
}

/** Run a command to its end, timing its wall clock; killed (SIGKILL) after `timeoutMs`. */
export function runTimed(
  cmd: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs: number },
): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(cmd, args, {
      cwd: options.cwd ?? ROOT,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout.length < 4_000_000 ? (stdout += d) : undefined));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr.length < 200_000 ? (stderr += d) : undefined));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, wallMs: Number(process.hrtime.bigint() - start) / 1e6, stdout, stderr });
    });
  });
}

const MARK = '@@bench-result ';

/** In a child: hand a result to the parent (one marked line on stdout). */
export function emit(result: unknown): void {
  process.stdout.write(`${MARK}${JSON.stringify(result)}\n`);
}

/** Run a compiled bench worker (dist/bench/worker.js <kind> <json>) and return what it emitted. */
export async function runWorker<T>(
  kind: string,
  params: unknown,
  options: { timeoutMs: number; nodeArgs?: string[]; env?: NodeJS.ProcessEnv },
): Promise<T> {
  const r = await runTimed(
    process.execPath,
    [...(options.nodeArgs ?? []), path.join(BENCH_DIST, 'worker.js'), kind, JSON.stringify(params)],
    {
      timeoutMs: options.timeoutMs,
      ...(options.env ? { env: options.env } : {}),
    },
  );
  const line = r.stdout.split('\n').find((l) => l.startsWith(MARK));
  if (r.code !== 0 || !line) {
    throw new Error(
      `bench worker '${kind}' failed (exit ${r.code ?? r.signal}${r.signal === 'SIGKILL' ? ', time limit' : ''}): ${r.stderr.slice(-2000) || r.stdout.slice(-2000)}`,
    );
  }
  return JSON.parse(line.slice(MARK.length)) as T;
}

/** Peak resident set size of this process, in MB (VmHWM; maxRSS where /proc is missing). */
export function peakRssMb(): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]) / 1024;
  } catch {
    // not Linux
  }
  return process.resourceUsage().maxRSS / 1024;
}

export function machine(): Record<string, unknown> {
  return {
    nproc: os.availableParallelism?.() ?? os.cpus().length,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    memoryMb: Math.round(os.totalmem() / 2 ** 20),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    loadAverageAtStart: os.loadavg().map((l) => round(l, 2)),
  };
}

/** One result line: `name: value unit (target: …) PASS|MISS`. */
export function line(f: Figure): string {
  const verdict = f.pass === undefined ? '' : f.pass ? ' PASS' : ' MISS';
  const target = f.target ? ` (target: ${f.target})` : '';
  return `${f.name}: ${formatValue(f.value)} ${f.unit}${target}${verdict}`;
}

function formatValue(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (Math.abs(v) >= 100) return String(Math.round(v));
  return String(round(v, 2));
}
