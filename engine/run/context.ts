/**
 * What an action receives when it runs: one ActionContext factory for the executor (run, capture,
 * preview) and for undo, so both give an action the same logger, evidence store, sleep and
 * shared cache.
 */
import { createHash } from 'node:crypto';
import { Codes, IrunError } from '../errors.js';
import type { ActionContext, AwsSettings, EvidenceRef, EvidenceStore } from '../plugins/api.js';
import type { Redactor } from '../util/redact.js';
import type { RunEvent } from './events.js';

export interface ActionContextOptions {
  runId: string;
  stepId: string;
  action: string;
  dryRun: boolean;
  signal: AbortSignal;
  aws: AwsSettings;
  /** The run's cache (SDK clients, resolved regions, ...). */
  shared: Map<string, unknown>;
  version: string;
  now: () => Date;
  evidence: EvidenceStore;
  /** Values of secret inputs: redacted from evidence before it is written. */
  redactor?: Redactor;
  /** Receives the step's log and progress events (not awaited: an action logs synchronously). */
  emit: (event: RunEvent) => void;
  /** Every evidence file saved through the context is appended here (it goes into the journal). */
  saved?: EvidenceRef[];
}

export function makeActionContext(o: ActionContextOptions): ActionContext {
  const { stepId: step, emit, redactor, saved } = o;
  const log =
    (level: 'debug' | 'info' | 'warn') =>
    (message: string, data?: Record<string, unknown>): void =>
      emit({ type: 'log', step, level, message, ...(data ? { data } : {}) });
  return {
    runId: o.runId,
    stepId: step,
    action: o.action,
    dryRun: o.dryRun,
    signal: o.signal,
    aws: o.aws,
    shared: o.shared,
    version: o.version,
    now: o.now,
    evidence: {
      save: async (name, data, options) => {
        const ref = await o.evidence.save(name, redactor?.size ? redactor.redact(data) : data, options);
        saved?.push(ref);
        return ref;
      },
      read: (file) => o.evidence.read(file),
    },
    log: { debug: log('debug'), info: log('info'), warn: log('warn') },
    progress: (progress) => emit({ type: 'progress', step, progress }),
    sleep: (ms) => sleep(ms, o.signal),
  };
}

/** Evidence kept in memory (runs without a run folder: tests, library use without a store). */
export class MemoryEvidence implements EvidenceStore {
  private readonly files = new Map<string, string>();
  private n = 0;
  constructor(private readonly stepId: string) {}
  async save(name: string, data: unknown): Promise<EvidenceRef> {
    const text = typeof data === 'string' ? data : JSON.stringify(data, null, 2);
    const file = `evidence/${this.stepId}-${++this.n}-${name}.json`;
    this.files.set(file, text);
    return { name, file, sha256: createHash('sha256').update(text).digest('hex'), bytes: Buffer.byteLength(text) };
  }
  async read(file: string): Promise<string> {
    const t = this.files.get(file);
    if (t === undefined) throw new IrunError(Codes.INTERNAL, `no evidence file ${file}`);
    return t;
  }
}

/** A sleep that ends early (rejecting with the signal's reason) when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
