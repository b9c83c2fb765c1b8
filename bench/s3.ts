/**
 * Benchmark 3: aws.s3.resetObjectAcls over the local S3-protocol server of the tests
 * (test/helpers/s3-server.ts), with real SDK clients, signing and XML. The server runs in its own
 * child process (so its CPU and memory are not counted as the client's), and so does each
 * client run.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { BENCH_DIST, emit, peakRssMb, round, runWorker, type BenchOptions, type Figure } from './lib.js';

const BUCKET = 'bench-public-bucket';
/** GetObjectAcl + PutObjectAcl for every object (listing pages come on top). */
const REQUESTS_PER_OBJECT = 2;

/** In a child: serve `count` public-read objects until stdin closes, then report request counts. */
export async function s3ServerWorker(p: { count: number; latencyMs: number }): Promise<void> {
  const { startS3Server } = await import('../test/helpers/s3-server.js');
  const server = await startS3Server({ latencyMs: p.latencyMs });
  server.store.createBucket(BUCKET, { ownership: 'ObjectWriter' });
  server.store.seed(BUCKET, { count: p.count, prefix: 'data/', acl: () => 'public-read' });
  emit({ url: server.url });
  await new Promise<void>((resolve) => {
    process.stdin.on('data', () => undefined);
    process.stdin.on('end', resolve);
    process.stdin.on('close', resolve);
  });
  emit({ counts: server.counts, peakInFlight: server.peakInFlight(), peakRssMb: peakRssMb() });
  await server.close();
  process.exit(0);
}

interface ServerChild {
  url: string;
  stop(): Promise<{ counts: Record<string, number>; peakInFlight: number }>;
}

function startServerChild(count: number, latencyMs: number, timeoutMs: number): Promise<ServerChild> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [path.join(BENCH_DIST, 'worker.js'), 's3-server', JSON.stringify({ count, latencyMs })],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    );
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    let buf = '';
    let stderr = '';
    const results: unknown[] = [];
    let onFinal: ((v: unknown) => void) | undefined;
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      buf += d;
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const l = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (!l.startsWith('@@bench-result ')) continue;
        const v = JSON.parse(l.slice('@@bench-result '.length)) as { url?: string };
        results.push(v);
        if (results.length === 1) {
          resolve({
            url: v.url!,
            stop: () =>
              new Promise((res) => {
                onFinal = res as (v: unknown) => void;
                child.stdin.end();
              }),
          });
        } else onFinal?.(v);
      }
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (results.length === 0) reject(new Error(`S3 server child exited ${code}: ${stderr.slice(-1500)}`));
    });
  });
}

export interface ClientResult {
  count: number;
  concurrency: number;
  ms: number;
  objectsPerSec: number;
  cpuMs: number;
  objectsPerCpuSec: number;
  peakRssMb: number;
  changed: number;
}

/**
 * The same requests sent with a bare S3Client (list, GetObjectAcl, PutObjectAcl owner-only; no
 * irun code, no evidence): what the SDK alone costs per object on this machine.
 */
async function rawSdk(p: { url: string; count: number; concurrency: number }): Promise<ClientResult> {
  const { S3Client, ListObjectVersionsCommand, GetObjectAclCommand, PutObjectAclCommand } =
    await import('@aws-sdk/client-s3');
  const s3 = new S3Client({
    region: 'us-east-1',
    endpoint: p.url,
    forcePathStyle: true,
    retryMode: 'adaptive',
    maxAttempts: 5,
  });
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let changed = 0;
  let marker: { KeyMarker?: string; VersionIdMarker?: string } = {};
  for (;;) {
    const page = await s3.send(new ListObjectVersionsCommand({ Bucket: BUCKET, Prefix: 'data/', ...marker }));
    const versions = page.Versions ?? [];
    let next = 0;
    const worker = async () => {
      while (next < versions.length) {
        const v = versions[next++];
        const acl = await s3.send(new GetObjectAclCommand({ Bucket: BUCKET, Key: v.Key!, VersionId: v.VersionId }));
        await s3.send(
          new PutObjectAclCommand({
            Bucket: BUCKET,
            Key: v.Key!,
            VersionId: v.VersionId,
            AccessControlPolicy: {
              Owner: acl.Owner,
              Grants: [{ Grantee: { Type: 'CanonicalUser', ID: acl.Owner?.ID }, Permission: 'FULL_CONTROL' }],
            },
          }),
        );
        changed++;
      }
    };
    await Promise.all(Array.from({ length: p.concurrency }, worker));
    if (!page.IsTruncated) break;
    marker = { KeyMarker: page.NextKeyMarker, VersionIdMarker: page.NextVersionIdMarker };
  }
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  s3.destroy();
  return {
    count: p.count,
    concurrency: p.concurrency,
    ms,
    objectsPerSec: p.count / (ms / 1000),
    cpuMs,
    objectsPerCpuSec: p.count / (cpuMs / 1000),
    peakRssMb: peakRssMb(),
    changed,
  };
}

/** In a child: reset the ACLs of every object through the action, as a step would. */
export async function s3ClientWorker(p: {
  url: string;
  count: number;
  concurrency: number;
  raw?: boolean;
}): Promise<ClientResult> {
  process.env.AWS_ACCESS_KEY_ID = 'AKIAIOSFODNN7EXAMPLE';
  process.env.AWS_SECRET_ACCESS_KEY = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
  delete process.env.AWS_SESSION_TOKEN;
  delete process.env.AWS_PROFILE;
  if (p.raw) return rawSdk(p);
  const { makeCtx } = await import('../test/helpers/ctx.js');
  const { objectActions } = await import('../plugins/aws-s3/index.js');
  const { RunStore } = await import('../engine/run/store.js');
  // Load the SDK before the clock starts (the first step of a real run pays this once).
  await import('@aws-sdk/client-s3');
  const root = mkdtempSync(path.join(os.tmpdir(), 'irun-bench-s3-'));
  try {
    // Evidence goes to files as in a real run (in memory it would grow with the object count).
    const store = RunStore.create(root, 'bench', { irunVersion: 'bench' });
    const ctx = {
      ...makeCtx({
        aws: { region: 'us-east-1', endpointUrl: p.url },
        stepId: 'reset',
        action: 'aws.s3.resetObjectAcls',
      }),
      evidence: store.evidenceFor('reset'),
    };
    const input = { bucket: BUCKET, prefix: 'data/', concurrency: p.concurrency };
    const action = objectActions.resetObjectAcls;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const before = await action.capture!(ctx, input);
    const out = (await action.run(ctx, input, before)) as { counts: { changed: number } };
    const ms = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    store.close();
    if (out.counts.changed !== p.count) throw new Error(`expected ${p.count} ACLs reset, got ${out.counts.changed}`);
    const cpuMs = (cpu.user + cpu.system) / 1000;
    return {
      count: p.count,
      concurrency: p.concurrency,
      ms,
      objectsPerSec: p.count / (ms / 1000),
      cpuMs,
      objectsPerCpuSec: p.count / (cpuMs / 1000),
      peakRssMb: peakRssMb(),
      changed: out.counts.changed,
    };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

async function resetOver(
  count: number,
  latencyMs: number,
  concurrency: number,
  o: BenchOptions,
  raw = false,
): Promise<ClientResult & { requests: Record<string, number>; peakInFlight: number }> {
  const server = await startServerChild(count, latencyMs, o.childTimeoutMs);
  let result: ClientResult;
  try {
    result = await runWorker<ClientResult>(
      's3-client',
      { url: server.url, count, concurrency, raw },
      { timeoutMs: o.childTimeoutMs },
    );
  } catch (err) {
    await server.stop();
    throw err;
  }
  const stats = await server.stop();
  return { ...result, requests: stats.counts, peakInFlight: stats.peakInFlight };
}

export async function s3Bench(o: BenchOptions): Promise<Figure[]> {
  const figures: Figure[] = [];
  const latency = 10;
  const concurrency = 32;
  const nA = o.quick ? 2_000 : 20_000;
  const nSeq = o.quick ? 100 : 500;

  // (a) latency-bound throughput, and the same action sequentially
  const seq = await resetOver(nSeq, latency, 1, o);
  const par = await resetOver(nA, latency, concurrency, o);
  const bound = concurrency / (REQUESTS_PER_OBJECT * (latency / 1000));
  figures.push({
    name: `s3.reset${nA}.c${concurrency}.lat${latency}ms`,
    value: par.objectsPerSec,
    unit: 'objects/s',
    details: { ms: round(par.ms, 1), requests: par.requests, peakInFlight: par.peakInFlight },
  });
  figures.push({
    name: 's3.latencyBound',
    value: bound,
    unit: 'objects/s',
    details: { formula: `${concurrency} / (${REQUESTS_PER_OBJECT} requests × ${latency} ms)` },
  });
  figures.push({
    name: 's3.shareOfBound',
    value: (100 * par.objectsPerSec) / bound,
    unit: '%',
    target: '≥ 80% of the latency bound',
    pass: par.objectsPerSec / bound >= 0.8,
  });
  figures.push({
    name: `s3.reset${nSeq}.c1.lat${latency}ms`,
    value: seq.objectsPerSec,
    unit: 'objects/s',
    details: { ms: round(seq.ms, 1), requests: seq.requests },
  });
  const speedup = par.objectsPerSec / seq.objectsPerSec;
  figures.push({
    name: 's3.speedupOverSequential',
    value: speedup,
    unit: '×',
    target: '≥ 20× sequential',
    pass: speedup >= 20,
  });

  // (b) no added latency: CPU cost of signing, sending and parsing
  const nB = o.quick ? 5_000 : 20_000;
  const cpu = await resetOver(nB, 0, concurrency, o);
  figures.push({
    name: `s3.reset${nB}.perCore`,
    value: cpu.objectsPerCpuSec,
    unit: 'objects/s per core',
    target: '≥ 1,500 objects/s per core',
    pass: cpu.objectsPerCpuSec >= 1500,
    details: { wallObjectsPerSec: round(cpu.objectsPerSec, 1), clientCpuMs: round(cpu.cpuMs, 1), ms: round(cpu.ms, 1) },
  });

  const sdk = await resetOver(nB, 0, concurrency, o, true);
  figures.push({
    name: `s3.rawSdk${nB}.perCore`,
    value: sdk.objectsPerCpuSec,
    unit: 'objects/s per core',
    details: {
      what: 'the same requests with a bare S3Client, no irun code',
      wallObjectsPerSec: round(sdk.objectsPerSec, 1),
      clientCpuMs: round(sdk.cpuMs, 1),
    },
  });
  figures.push({ name: 's3.irunCpuOverSdk', value: cpu.cpuMs / sdk.cpuMs, unit: '× bare SDK CPU per object' });

  // (c) memory does not grow with the object count
  const nSmall = o.quick ? 5_000 : 20_000;
  const nLarge = o.quick ? 20_000 : 100_000;
  const small = nSmall === nB ? cpu : await resetOver(nSmall, 0, concurrency, o);
  let large;
  try {
    // The largest run is CPU-bound on the SDK (see s3.rawSdk): give it a longer limit.
    large = await resetOver(nLarge, 0, concurrency, { ...o, childTimeoutMs: o.childTimeoutMs * 3 });
  } catch (err) {
    figures.push({
      name: `s3.reset${nLarge}.peakRss`,
      value: NaN,
      unit: 'MB',
      target: 'run to completion',
      pass: false,
      details: { error: String((err as Error).message).slice(0, 500) },
    });
    return figures;
  }
  figures.push({ name: `s3.reset${nSmall}.peakRss`, value: small.peakRssMb, unit: 'MB' });
  figures.push({
    name: `s3.reset${nLarge}.peakRss`,
    value: large.peakRssMb,
    unit: 'MB',
    details: { objectsPerSec: round(large.objectsPerSec, 1) },
  });
  const growth = large.peakRssMb / small.peakRssMb;
  figures.push({
    name: 's3.rssGrowth',
    value: growth,
    unit: `× (${nLarge} / ${nSmall} objects)`,
    target: '≤ 1.2×',
    pass: growth <= 1.2,
  });
  return figures;
}
