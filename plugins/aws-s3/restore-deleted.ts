/**
 * restoreDeleted: bring back objects deleted or overwritten within a time window, by copying the
 * prior version over the current one or removing the delete marker; before-states as evidence.
 */
import type { CopyObjectCommandOutput, DeleteObjectCommandOutput, S3Client } from '@aws-sdk/client-s3';
import { type ActionContext, type EvidenceRef, defineAction, Codes, IrunError } from '../../engine/plugins/api.js';
import { send } from '../aws-common/index.js';
import {
  EvidenceChunks,
  type FailureSample,
  Failures,
  allowListeners,
  copySource,
  failFastCheck,
  isFatal,
  readLines,
} from './bulk.js';
import { type VersionEntry, chunk, keyGroups, keyVersions, time, versionPages } from './listing.js';
import {
  CONCURRENCY,
  ERROR_LIST,
  EVIDENCE_FILES,
  KEY,
  LIST_CAP,
  MAX_COPY_BYTES,
  OBJECT_BUCKET,
  OBJECT_REGION,
  PREFIX,
} from './object-schemas.js';
import { AsyncPool } from './pool.js';
import { s3For } from '../aws-common/s3.js';

export interface RestoreDeletedInput {
  bucket: string;
  region?: string;
  keys?: string[];
  prefix?: string;
  since?: string;
  until?: string;
  concurrency?: number;
}

/** What restoreDeleted does (or would do) for one key. */
export type KeyPlan =
  | { key: string; action: 'removeDeleteMarker'; markerIds: string[]; revealsVersionId: string }
  | {
      key: string;
      action: 'copyBack';
      sourceVersionId: string;
      sourceLastModified?: string;
      priorVersionId: string;
      priorIsDeleteMarker: boolean;
      size?: number;
    }
  | { key: string; action: 'unrecoverable'; reason: string }
  | { key: string; action: 'none'; reason: string };

/** A change made, as written to evidence and read back by undo. */
export type KeyChange =
  | { key: string; action: 'removeDeleteMarker'; markerIds: string[]; revealsVersionId: string }
  | { key: string; action: 'copyBack'; sourceVersionId: string; newVersionId: string; priorVersionId: string };

/**
 * Decide for one key (its versions newest first) following Part 4 of the runbook:
 * - latest is a delete marker → remove the marker(s) on top, revealing the newest version —
 *   unless that version itself was written inside the window, then copy back the newest
 *   version written before `since`;
 * - latest is a version written inside [since, until] → copy back the newest version written
 *   before `since`;
 * - no version to go back to → unrecoverable (Part 4 step 2: look for other copies).
 */
export function planKey(key: string, entries: VersionEntry[], since?: number, until?: number): KeyPlan {
  if (entries.length === 0)
    return {
      key,
      action: 'unrecoverable',
      reason: 'no version of this key exists (deleted with a version id, or never written here)',
    };
  const latest = entries[0];
  const t = time(latest);
  const inWindow = (since === undefined || t >= since) && (until === undefined || t <= until);
  const hasWindow = since !== undefined || until !== undefined;
  const newestBefore = (limit: number) => entries.find((e) => !e.deleteMarker && time(e) < limit);
  if (latest.deleteMarker) {
    if (hasWindow && !inWindow) return { key, action: 'none', reason: 'deleted outside the time window' };
    const markers: string[] = [];
    let revealed: VersionEntry | undefined;
    for (const e of entries) {
      if (!e.deleteMarker) {
        revealed = e;
        break;
      }
      markers.push(e.versionId);
    }
    if (!revealed)
      return {
        key,
        action: 'unrecoverable',
        reason: 'only delete markers remain: every version was deleted permanently',
      };
    if (since !== undefined && time(revealed) >= since) {
      const target = newestBefore(since);
      if (!target)
        return { key, action: 'unrecoverable', reason: 'deleted, and no version was written before the time window' };
      return copyPlan(key, target, latest);
    }
    return { key, action: 'removeDeleteMarker', markerIds: markers, revealsVersionId: revealed.versionId };
  }
  if (since === undefined)
    return {
      key,
      action: 'none',
      reason: hasWindow ? 'no window start (since) to restore to' : 'the current version is live',
    };
  if (!inWindow) return { key, action: 'none', reason: 'not modified inside the time window' };
  const target = newestBefore(since);
  if (!target)
    return { key, action: 'unrecoverable', reason: 'modified inside the time window, and no earlier version exists' };
  return copyPlan(key, target, latest);
}

export function copyPlan(key: string, target: VersionEntry, latest: VersionEntry): KeyPlan {
  return {
    key,
    action: 'copyBack',
    sourceVersionId: target.versionId,
    ...(target.lastModified ? { sourceLastModified: target.lastModified } : {}),
    priorVersionId: latest.versionId,
    priorIsDeleteMarker: latest.deleteMarker,
    ...(target.size !== undefined ? { size: target.size } : {}),
  };
}

export function parseWindow(input: RestoreDeletedInput): { since?: number; until?: number } {
  const w: { since?: number; until?: number } = {};
  for (const k of ['since', 'until'] as const) {
    const v = input[k];
    if (v === undefined) continue;
    const ms = Date.parse(v);
    if (Number.isNaN(ms)) throw new IrunError(Codes.INPUT_INVALID, `${k} is not a date: ${v}`);
    w[k] = ms;
  }
  if (w.since !== undefined && w.until !== undefined && w.until < w.since)
    throw new IrunError(Codes.INPUT_INVALID, 'until is before since');
  return w;
}

/** Pages of key plans (at most ~1000 keys each) for the listed keys or the prefix. */
export async function* planPages(
  ctx: ActionContext,
  s3: S3Client,
  input: RestoreDeletedInput,
): AsyncGenerator<{ plans: KeyPlan[]; keys: number }> {
  const { since, until } = parseWindow(input);
  if (input.keys) {
    const concurrency = input.concurrency ?? 16;
    for (const group of chunk(input.keys, Math.max(concurrency, 16))) {
      const lists = await Promise.all(group.map((k) => keyVersions(ctx, s3, input.bucket, k)));
      yield { plans: group.map((k, i) => planKey(k, lists[i], since, until)), keys: group.length };
    }
    return;
  }
  let plans: KeyPlan[] = [];
  let keys = 0;
  for await (const g of keyGroups(versionPages(ctx, s3, input.bucket, input.prefix))) {
    keys++;
    plans.push(planKey(g.key, g.entries, since, until));
    if (keys % 1000 === 0) {
      yield { plans, keys: 1000 };
      plans = [];
    }
  }
  if (plans.length > 0 || keys % 1000 !== 0) yield { plans, keys: keys % 1000 };
}

export interface RestoreDeletedOutput {
  bucket: string;
  changed: boolean;
  counts: {
    keys: number;
    restored: number;
    removedDeleteMarkers: number;
    copiedBack: number;
    unrecoverable: number;
    unchanged: number;
    failed: number;
  };
  restored: KeyChange[];
  unrecoverable: { key: string; reason: string }[];
  skipped: { key: string; reason: string }[];
  truncated: boolean;
  evidence: { before: (EvidenceRef & { count: number })[]; changes: (EvidenceRef & { count: number })[] };
  errors: FailureSample[];
  before: { keysToRestore: number };
  after: { keysRestored: number };
}

export async function applyPlan(
  ctx: ActionContext,
  s3: S3Client,
  bucket: string,
  plan: KeyPlan,
): Promise<KeyChange | undefined> {
  const { DeleteObjectCommand, CopyObjectCommand } = await import('@aws-sdk/client-s3');
  if (plan.action === 'removeDeleteMarker') {
    for (const id of plan.markerIds) {
      await send<DeleteObjectCommandOutput>(
        s3,
        new DeleteObjectCommand({ Bucket: bucket, Key: plan.key, VersionId: id }),
        ctx,
      );
    }
    return {
      key: plan.key,
      action: 'removeDeleteMarker',
      markerIds: plan.markerIds,
      revealsVersionId: plan.revealsVersionId,
    };
  }
  if (plan.action === 'copyBack') {
    if (plan.size !== undefined && plan.size > MAX_COPY_BYTES)
      throw tooLarge(bucket, plan.key, plan.sourceVersionId, plan.size);
    const out = await send<CopyObjectCommandOutput>(
      s3,
      new CopyObjectCommand({
        Bucket: bucket,
        Key: plan.key,
        CopySource: copySource(bucket, plan.key, plan.sourceVersionId),
      }),
      ctx,
    );
    return {
      key: plan.key,
      action: 'copyBack',
      sourceVersionId: plan.sourceVersionId,
      newVersionId: out?.VersionId ?? 'null',
      priorVersionId: plan.priorVersionId,
    };
  }
  return undefined;
}

export function tooLarge(bucket: string, key: string, versionId: string, size: number): IrunError {
  return new IrunError(
    Codes.OBJECT_TOO_LARGE,
    `s3://${bucket}/${key} version ${versionId} is ${size} bytes: CopyObject copies at most 5 GB; restore it with a multipart upload (UploadPartCopy)`,
    { details: { bucket, key, versionId, size } },
  );
}

export async function restoreDeletedWork(
  ctx: ActionContext,
  input: RestoreDeletedInput,
  write: boolean,
): Promise<RestoreDeletedOutput> {
  const s3 = await s3For(ctx, input.bucket, input.region);
  const pool = new AsyncPool(input.concurrency ?? 16);
  allowListeners(ctx.signal, pool.limit);
  const failures = new Failures();
  const beforeFiles = new EvidenceChunks(ctx, 'restore-deleted-before');
  const changeFiles = new EvidenceChunks(ctx, 'restore-deleted-changes');
  const out: RestoreDeletedOutput = {
    bucket: input.bucket,
    changed: false,
    counts: { keys: 0, restored: 0, removedDeleteMarkers: 0, copiedBack: 0, unrecoverable: 0, unchanged: 0, failed: 0 },
    restored: [],
    unrecoverable: [],
    skipped: [],
    truncated: false,
    evidence: { before: beforeFiles.files, changes: changeFiles.files },
    errors: [],
    before: { keysToRestore: 0 },
    after: { keysRestored: 0 },
  };
  const keep = <T>(list: T[], item: T) => {
    if (list.length < LIST_CAP) list.push(item);
    else out.truncated = true;
  };
  let ok = 0;
  for await (const { plans, keys } of planPages(ctx, s3, input)) {
    out.counts.keys += keys;
    const todo: KeyPlan[] = [];
    for (const p of plans) {
      if (p.action === 'unrecoverable') {
        out.counts.unrecoverable++;
        keep(out.unrecoverable, { key: p.key, reason: p.reason });
      } else if (p.action === 'none') {
        out.counts.unchanged++;
        if (input.keys) keep(out.skipped, { key: p.key, reason: p.reason });
      } else todo.push(p);
    }
    out.before.keysToRestore += todo.length;
    if (!write) {
      for (const p of todo) {
        if (p.action === 'removeDeleteMarker') {
          out.counts.removedDeleteMarkers++;
          keep(out.restored, {
            key: p.key,
            action: 'removeDeleteMarker',
            markerIds: p.markerIds,
            revealsVersionId: p.revealsVersionId,
          });
        } else if (p.action === 'copyBack') {
          out.counts.copiedBack++;
          keep(out.restored, {
            key: p.key,
            action: 'copyBack',
            sourceVersionId: p.sourceVersionId,
            newVersionId: '(new)',
            priorVersionId: p.priorVersionId,
          });
        }
      }
      continue;
    }
    if (todo.length === 0) continue;
    await beforeFiles.write(todo);
    const changes: KeyChange[] = [];
    for (const p of todo) {
      await pool.submit(async () => {
        try {
          const change = await applyPlan(ctx, s3, input.bucket, p);
          ok++;
          if (!change) return;
          changes.push(change);
          out.counts.restored++;
          if (change.action === 'removeDeleteMarker') out.counts.removedDeleteMarkers++;
          else out.counts.copiedBack++;
          keep(out.restored, change);
        } catch (err) {
          if (isFatal(err)) throw err;
          failures.record(p.key, undefined, err);
          failFastCheck(failures, ok, 'restoreDeleted');
        }
      });
    }
    try {
      await pool.drain();
    } finally {
      // Record what was done even when the pool stopped, so undo covers it.
      await changeFiles.write(changes);
    }
    ctx.progress({
      done: out.counts.keys,
      message: `${out.counts.keys} keys checked, ${out.counts.restored} restored`,
    });
  }
  out.counts.failed = failures.count;
  out.errors = failures.samples;
  out.after.keysRestored = out.counts.restored;
  out.changed = out.counts.restored > 0;
  if (write && failures.count > 0) {
    throw new IrunError(
      Codes.BULK_PARTIAL_FAILURE,
      `restoreDeleted: ${failures.count} key(s) failed (${out.counts.restored} restored); first: ${failures.samples[0]?.message}`,
      {
        details: { ...out },
      },
    );
  }
  return out;
}

export const restoreDeleted = defineAction<RestoreDeletedInput, RestoreDeletedOutput, Record<string, unknown>>({
  title: 'Restore deleted or overwritten objects',
  description:
    'For listed keys, or every key under a prefix deleted or modified inside [since, until]: remove the delete marker, or copy back the newest version ' +
    'written before `since`. Keys with no earlier version are reported as unrecoverable (look for other copies). Undo re-creates the markers and deletes the copies.',
  docsUrl: 'https://docs.aws.amazon.com/AmazonS3/latest/userguide/RestoringPreviousVersions.html',
  effect: 'mutate',
  permissions: [
    's3:ListBucketVersions',
    's3:DeleteObjectVersion',
    's3:DeleteObject',
    's3:GetObjectVersion',
    's3:GetObjectVersionTagging',
    's3:PutObject',
  ],
  input: {
    type: 'object',
    properties: {
      bucket: OBJECT_BUCKET,
      region: OBJECT_REGION,
      keys: { type: 'array', items: KEY, minItems: 1 },
      prefix: PREFIX,
      since: {
        type: 'string',
        format: 'date-time',
        description: 'Start of the incident window: versions written before it are the good ones',
      },
      until: { type: 'string', format: 'date-time', description: 'End of the incident window' },
      concurrency: CONCURRENCY,
    },
    required: ['bucket'],
    anyOf: [{ required: ['keys'] }, { required: ['prefix'] }],
    additionalProperties: false,
  },
  output: {
    type: 'object',
    properties: {
      bucket: { type: 'string' },
      changed: { type: 'boolean' },
      counts: {
        type: 'object',
        properties: {
          keys: { type: 'integer' },
          restored: { type: 'integer' },
          removedDeleteMarkers: { type: 'integer' },
          copiedBack: { type: 'integer' },
          unrecoverable: { type: 'integer' },
          unchanged: { type: 'integer' },
          failed: { type: 'integer' },
        },
      },
      restored: {
        type: 'array',
        items: { type: 'object', properties: { key: { type: 'string' }, action: { type: 'string' } } },
      },
      unrecoverable: {
        type: 'array',
        items: { type: 'object', properties: { key: { type: 'string' }, reason: { type: 'string' } } },
      },
      skipped: {
        type: 'array',
        items: { type: 'object', properties: { key: { type: 'string' }, reason: { type: 'string' } } },
      },
      truncated: { type: 'boolean' },
      evidence: { type: 'object', properties: { before: EVIDENCE_FILES, changes: EVIDENCE_FILES } },
      errors: ERROR_LIST,
      before: { type: 'object' },
      after: { type: 'object' },
    },
    required: ['bucket', 'changed', 'counts', 'restored', 'unrecoverable'],
  },
  example: { bucket: 'example-bucket', prefix: 'exports/', since: '2024-05-01T00:00:00Z' },
  async capture(ctx, input) {
    const scope = {
      bucket: input.bucket,
      prefix: input.prefix ?? null,
      keys: input.keys?.length ?? null,
      since: input.since ?? null,
      until: input.until ?? null,
    };
    await ctx.evidence.save('restore-deleted-scope-before', scope);
    return scope;
  },
  async run(ctx, input) {
    return restoreDeletedWork(ctx, input, true);
  },
  async preview(ctx, input) {
    const plan = await restoreDeletedWork(ctx, input, false);
    const c = plan.counts;
    return {
      summary: `Restore ${c.removedDeleteMarkers + c.copiedBack} of ${c.keys} keys in s3://${input.bucket} (${c.removedDeleteMarkers} delete markers to remove, ${c.copiedBack} versions to copy back); ${c.unrecoverable} unrecoverable`,
      noop: c.removedDeleteMarkers + c.copiedBack === 0,
      before: { keysToRestore: plan.before.keysToRestore },
      details: {
        counts: c,
        restore: plan.restored,
        unrecoverable: plan.unrecoverable,
        skipped: plan.skipped,
        truncated: plan.truncated,
      },
    };
  },
  reversible: () => true,
  async undo(ctx, input, _before, output) {
    if (!output?.changed) return { undone: 0 };
    const { DeleteObjectCommand } = await import('@aws-sdk/client-s3');
    const s3 = await s3For(ctx, input.bucket, input.region);
    const pool = new AsyncPool(input.concurrency ?? 16);
    allowListeners(ctx.signal, pool.limit);
    const failures = new Failures();
    let undone = 0;
    for (const f of output.evidence.changes) {
      for (const change of await readLines<KeyChange>(ctx, f.file)) {
        await pool.submit(async () => {
          try {
            if (change.action === 'removeDeleteMarker') {
              await send(s3, new DeleteObjectCommand({ Bucket: input.bucket, Key: change.key }), ctx);
            } else {
              await send(
                s3,
                new DeleteObjectCommand({ Bucket: input.bucket, Key: change.key, VersionId: change.newVersionId }),
                ctx,
              );
            }
            undone++;
          } catch (err) {
            if (isFatal(err)) throw err;
            failures.record(change.key, undefined, err);
          }
        });
      }
      await pool.drain();
    }
    if (failures.count > 0) {
      throw new IrunError(
        Codes.BULK_PARTIAL_FAILURE,
        `undo restoreDeleted: ${failures.count} key(s) could not be reverted (${undone} reverted)`,
        {
          details: { undone, failed: failures.count, errors: failures.samples },
        },
      );
    }
    return { undone };
  },
});
