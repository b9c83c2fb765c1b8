/**
 * Bookkeeping of the bulk actions: failure samples, fail-fast, and before-states written as
 * numbered JSON-lines evidence per page (undo reads them back).
 */
import { getMaxListeners, setMaxListeners } from 'node:events';
import { type ActionContext, type EvidenceRef, type Code, Codes, IrunError } from '../../engine/plugins/api.js';
import { ERROR_SAMPLES, FAIL_FAST_AFTER } from './object-schemas.js';

export interface FailureSample {
  key: string;
  versionId?: string;
  code: string;
  message: string;
}

export class Failures {
  count = 0;
  readonly samples: FailureSample[] = [];
  record(key: string, versionId: string | undefined, err: unknown): void {
    this.count++;
    if (this.samples.length < ERROR_SAMPLES) {
      const e = err as { code?: string; message?: string };
      this.samples.push({
        key,
        ...(versionId ? { versionId } : {}),
        code: typeof e?.code === 'string' ? e.code : Codes.ACTION_FAILED,
        message: e?.message ?? String(err),
      });
    }
  }
}

/** Every in-flight SDK request listens for abort on the step's signal: allow that many. */
export function allowListeners(signal: AbortSignal, concurrency: number): void {
  if (getMaxListeners(signal) < concurrency + 10) setMaxListeners(concurrency + 10, signal);
}

/** Errors that stop the whole action rather than count against one object. */
export function isFatal(err: unknown): boolean {
  const code = (err as { code?: string })?.code;
  return code === Codes.DRY_RUN_BLOCKED || code === Codes.ABORTED || (err as Error)?.name === 'AbortError';
}

export function failFastCheck(failures: Failures, succeeded: number, what: string): void {
  if (failures.count >= FAIL_FAST_AFTER && succeeded === 0) {
    const first = failures.samples[0];
    throw new IrunError(
      (first?.code ?? Codes.BULK_PARTIAL_FAILURE) as Code,
      `${what}: the first ${failures.count} calls all failed (${first?.message ?? 'unknown error'}); stopping`,
      {
        details: { failed: failures.count, errors: failures.samples },
      },
    );
  }
}

/** Writes evidence files of JSON lines, numbered, one per page of changes. */
export class EvidenceChunks {
  private n = 0;
  readonly files: (EvidenceRef & { count: number })[] = [];
  constructor(
    private readonly ctx: ActionContext,
    private readonly base: string,
  ) {}
  async write(lines: unknown[]): Promise<void> {
    if (lines.length === 0) return;
    this.n++;
    const text = lines.map((l) => JSON.stringify(l)).join('\n') + '\n';
    const ref = await this.ctx.evidence.save(`${this.base}-${String(this.n).padStart(4, '0')}`, text, { ext: 'jsonl' });
    this.files.push({ ...ref, count: lines.length });
  }
}

/** Read back a JSON-lines evidence file. */
export async function readLines<T>(ctx: ActionContext, file: string): Promise<T[]> {
  const text = await ctx.evidence.read(file);
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as T);
}

export function copySource(bucket: string, key: string, versionId: string): string {
  return `${bucket}/${encodeURIComponent(key)}?versionId=${encodeURIComponent(versionId)}`;
}
