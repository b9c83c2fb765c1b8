/** Shared pieces of the hardening suites: run counts, local AWS settings, runs through the engine with a run record. */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { parseRunbook } from '../../engine/load/index.js';
import type { AwsSettings } from '../../engine/plugins/api.js';
import { Registry } from '../../engine/plugins/registry.js';
import type { Listener, RunEvent } from '../../engine/run/events.js';
import { execute, type ExecuteOptions, type RunResult } from '../../engine/run/executor.js';
import type { Human } from '../../engine/run/human.js';
import { readJournal, RunStore } from '../../engine/run/store.js';

/**
 * fast-check runs per property: a few hundred in the test suite, more for the benchmark runner
 * (IRUN_FUZZ_RUNS=10000 npm run bench, or the same variable with mocha).
 */
export function fuzzRuns(fallback: number): number {
  const n = Number(process.env.IRUN_FUZZ_RUNS);
  return Number.isInteger(n) && n > 0 ? n : fallback;
}

/** Seed of the properties (IRUN_FUZZ_SEED reproduces a failure fast-check reported). */
export function fuzzSeed(): number | undefined {
  const n = Number(process.env.IRUN_FUZZ_SEED);
  return Number.isInteger(n) ? n : undefined;
}

/**
 * Fake credentials for the local S3 server, and no aws-sdk-client-mock stub on S3Client while a
 * suite talks HTTP: other test files stub S3Client.prototype.send at load time. Call in `before`;
 * the returned function puts everything back (call it in `after`).
 */
export function useLocalAws(): () => void {
  const envKeys = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE', 'AWS_REGION'];
  const saved: Record<string, string | undefined> = {};
  for (const k of envKeys) saved[k] = process.env[k];
  process.env.AWS_ACCESS_KEY_ID = 'AKIAIOSFODNN7EXAMPLE';
  process.env.AWS_SECRET_ACCESS_KEY = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
  delete process.env.AWS_SESSION_TOKEN;
  delete process.env.AWS_PROFILE;
  const stubbed = Object.getOwnPropertyDescriptor(S3Client.prototype, 'send');
  if (stubbed) delete (S3Client.prototype as unknown as Record<string, unknown>).send;
  return () => {
    if (stubbed) Object.defineProperty(S3Client.prototype, 'send', stubbed);
    for (const k of envKeys) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  };
}

/**
 * Make the SDK's retries fast without changing what they do, for every client while a suite runs:
 * - adaptive mode paces a client after a throttling error (SlowDown): a client with no measured
 *   send rate drops to 0.5 requests/s (smithy DefaultRateLimiter minFillRate), and a few hundred
 *   requests then take minutes — the token wait is skipped;
 * - backoff before a retry is random up to 50 ms x 2^n (1 s x 2^n after throttling) — it is
 *   divided by `backoffDivisor` (jitter and growth kept).
 * Error classification, the retry decisions, retry capacity and the number of attempts are the
 * SDK's own. Returns the function that puts both back.
 */
export async function fastSdkRetries(backoffDivisor = 25): Promise<() => void> {
  const probe = new S3Client({
    region: 'us-east-1',
    retryMode: 'adaptive',
    credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
  });
  const strategy = (await (probe.config.retryStrategy as unknown as () => Promise<unknown>)()) as {
    rateLimiter: object;
    standardRetryStrategy: { retryBackoffStrategy: object };
  };
  probe.destroy();
  const limiter = Object.getPrototypeOf(strategy.rateLimiter) as { getSendToken(): Promise<void> };
  const backoff = Object.getPrototypeOf(strategy.standardRetryStrategy.retryBackoffStrategy) as {
    computeNextBackoffDelay(i: number): number;
  };
  const originalToken = Object.getOwnPropertyDescriptor(limiter, 'getSendToken')!;
  const originalBackoff = Object.getOwnPropertyDescriptor(backoff, 'computeNextBackoffDelay')!;
  const compute = originalBackoff.value as (this: unknown, i: number) => number;
  limiter.getSendToken = async () => {};
  backoff.computeNextBackoffDelay = function (this: unknown, i: number) {
    return Math.floor(compute.call(this, i) / backoffDivisor);
  };
  return () => {
    Object.defineProperty(limiter, 'getSendToken', originalToken);
    Object.defineProperty(backoff, 'computeNextBackoffDelay', originalBackoff);
  };
}

export interface EngineRun {
  result: RunResult;
  /** Events as the journal on disk holds them (read back after the run). */
  events: RunEvent[];
  dir: string;
}

/** A temp folder for run records, removed by the returned cleanup. */
export function tempRuns(prefix = 'irun-hardening-'): { root: string; cleanup: () => void } {
  const root = mkdtempSync(path.join(os.tmpdir(), prefix));
  return { root, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

/** Execute runbook text with a durable run record (RunStore) and return the journal's events. */
export async function runWithRecord(
  text: string,
  o: {
    root: string;
    human: Human;
    aws?: AwsSettings;
    inputs?: Record<string, unknown>;
    registry?: Registry;
    runId?: string;
    listeners?: Listener[];
    file?: string;
  } & Partial<Pick<ExecuteOptions, 'simulator' | 'now'>>,
): Promise<EngineRun> {
  const file = o.file ?? 'hardening.yaml';
  const loaded = parseRunbook(text, file);
  if (!loaded.doc) throw new Error(`test runbook does not parse: ${JSON.stringify(loaded.diagnostics)}`);
  const runId = o.runId ?? `run-${Math.random().toString(36).slice(2, 8)}`;
  const store = RunStore.create(o.root, runId, { fsync: false });
  let result: RunResult;
  try {
    result = await execute({
      doc: loaded.doc,
      file,
      sha256: loaded.sha256,
      registry: o.registry ?? new Registry(),
      human: o.human,
      actor: 'tester',
      runId,
      inputs: o.inputs ?? {},
      ...(o.aws ? { aws: o.aws } : {}),
      ...(o.simulator ? { simulator: o.simulator } : {}),
      ...(o.now ? { now: o.now } : {}),
      listeners: [store.listener(), ...(o.listeners ?? [])],
      evidenceFor: (step) => store.evidenceFor(step),
    });
  } finally {
    store.close();
  }
  return { result, events: readJournal(store.journalPath).events, dir: store.dir };
}
