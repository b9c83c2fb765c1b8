/**
 * Benchmark 2: engine overhead. A long runbook of core.noop steps, and a forEach over many items,
 * executed as `irun exec` does — RunStore journal (hash chain, fsync at boundaries) + execute(),
 * in-process — each in a fresh child process so peak RSS is its own.
 */
import { closeSync, fsyncSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { median, peakRssMb, round, runWorker, type BenchOptions, type Figure } from './lib.js';

function stepsRunbook(n: number): string {
  const lines = [
    'irun: 1',
    'id: bench-steps',
    'title: Engine overhead',
    'parts:',
    '  - id: main',
    '    title: Main',
    '    steps:',
  ];
  for (let i = 0; i < n; i++) lines.push(`      - id: s${i}`, '        action: core.noop');
  return `${lines.join('\n')}\n`;
}

function forEachRunbook(concurrency: number): string {
  return [
    'irun: 1',
    'id: bench-foreach',
    'title: forEach overhead',
    'inputs:',
    '  items: { type: array, items: { type: integer } }',
    'parts:',
    '  - id: main',
    '    title: Main',
    '    steps:',
    '      - id: each',
    '        forEach: "{{ inputs.items }}"',
    `        concurrency: ${concurrency}`,
    '        action: core.noop',
    '        with: { echo: "{{ item }}" }',
    '',
  ].join('\n');
}

export interface EngineResult {
  units: number;
  ms: number;
  perSecond: number;
  status: string;
  journalBytes: number;
  rssBeforeMb: number;
  peakRssMb: number;
  heapUsedAfterMb: number;
}

/** In a child: run one engine benchmark and measure it. */
export async function engineWorker(
  kind: 'steps' | 'foreach',
  p: { steps?: number; items?: number; concurrency?: number; fsync?: boolean },
): Promise<EngineResult> {
  const { parseRunbook } = await import('../engine/load/index.js');
  const { execute } = await import('../engine/run/executor.js');
  const { RunStore } = await import('../engine/run/store.js');
  const { PresetHuman } = await import('../engine/run/human.js');
  const { Registry } = await import('../engine/plugins/registry.js');
  const text = kind === 'steps' ? stepsRunbook(p.steps!) : forEachRunbook(p.concurrency ?? 64);
  const loaded = parseRunbook(text, `bench-${kind}.yaml`);
  if (!loaded.doc || loaded.diagnostics.some((d) => d.severity === 'error'))
    throw new Error(`bench runbook does not load: ${JSON.stringify(loaded.diagnostics.slice(0, 3))}`);
  const registry = new Registry();
  await registry.pack('core');
  const root = mkdtempSync(path.join(os.tmpdir(), 'irun-bench-run-'));
  try {
    const store = RunStore.create(root, 'bench', {
      ...(p.fsync !== undefined ? { fsync: p.fsync } : {}),
      irunVersion: 'bench',
    });
    const inputs = kind === 'foreach' ? { items: Array.from({ length: p.items! }, (_, i) => i) } : {};
    global.gc?.();
    const rssBeforeMb = process.memoryUsage().rss / 2 ** 20;
    const t0 = performance.now();
    let result;
    try {
      result = await execute({
        doc: loaded.doc,
        file: path.join(root, `bench-${kind}.yaml`),
        sha256: '0'.repeat(64),
        registry,
        human: new PresetHuman({ actor: 'bench', approveAll: true }),
        inputs,
        actor: 'bench',
        runId: 'bench',
        version: 'bench',
        listeners: [store.listener()],
        evidenceFor: (step) => store.evidenceFor(step),
      });
    } finally {
      store.close();
    }
    const ms = performance.now() - t0;
    if (result.status !== 'completed')
      throw new Error(`bench run ended ${result.status}: ${JSON.stringify(result.error ?? result.message)}`);
    const units = kind === 'steps' ? p.steps! : p.items!;
    return {
      units,
      ms,
      perSecond: units / (ms / 1000),
      status: result.status,
      journalBytes: statSync(path.join(root, 'bench/journal.jsonl')).size,
      rssBeforeMb,
      peakRssMb: peakRssMb(),
      heapUsedAfterMb: process.memoryUsage().heapUsed / 2 ** 20,
    };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** Median time of an append + fsync of one journal-sized line, in ms. */
function fsyncLatency(n: number): number {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'irun-bench-fsync-'));
  try {
    const fd = openSync(path.join(dir, 'journal.jsonl'), 'a');
    const times: number[] = [];
    const text = `${'x'.repeat(400)}\n`;
    for (let i = 0; i < n; i++) {
      const t = performance.now();
      writeSync(fd, text);
      fsyncSync(fd);
      times.push(performance.now() - t);
    }
    closeSync(fd);
    return median(times);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function engineBench(o: BenchOptions): Promise<Figure[]> {
  const figures: Figure[] = [];
  const steps = o.quick ? 2_000 : 10_000;
  const run = (kind: string, params: unknown, env?: NodeJS.ProcessEnv) =>
    runWorker<EngineResult>(kind, params, { timeoutMs: o.childTimeoutMs, ...(env ? { env } : {}) });

  const fsyncOn = await run('steps', { steps });
  const fsyncOff = await run('steps', { steps }, { ...process.env, IRUN_FSYNC: '0' });
  figures.push({
    name: `engine.steps${steps}.fsync`,
    value: fsyncOn.perSecond,
    unit: 'steps/s',
    target: '≥ 5,000 steps/s',
    pass: fsyncOn.perSecond >= 5000,
    details: { ms: round(fsyncOn.ms, 1), journalBytes: fsyncOn.journalBytes, peakRssMb: round(fsyncOn.peakRssMb, 1) },
  });
  figures.push({
    name: `engine.steps${steps}.nofsync`,
    value: fsyncOff.perSecond,
    unit: 'steps/s',
    details: { env: 'IRUN_FSYNC=0', ms: round(fsyncOff.ms, 1), peakRssMb: round(fsyncOff.peakRssMb, 1) },
  });
  figures.push({
    name: 'engine.steps.fsync-cost',
    value: fsyncOff.perSecond / fsyncOn.perSecond,
    unit: '× (no fsync / fsync)',
  });

  // What one durable boundary costs here: each step writes step.start and step.end, each fsync'ed.
  const fsyncMs = fsyncLatency(o.quick ? 50 : 200);
  figures.push({
    name: 'engine.fsyncLatency',
    value: fsyncMs,
    unit: 'ms per fsync (median)',
    details: { ceilingStepsPerSec: round(1000 / (2 * fsyncMs), 1), why: '2 fsyncs per step (step.start, step.end)' },
  });

  const small = o.quick ? 2_000 : 10_000;
  const large = o.quick ? 20_000 : 100_000;
  // Memory is the point here: the journal is written (every item.end line) but not fsync'ed, which
  // would only make the 100,000-item run take minutes (see engine.steps.fsync-cost) without
  // changing its memory.
  const noFsync = { ...process.env, IRUN_FSYNC: '0' };
  const a = await run('foreach', { items: small, concurrency: 64 }, noFsync);
  const b = await run('foreach', { items: large, concurrency: 64 }, noFsync);
  figures.push({
    name: `engine.forEach${small}.items`,
    value: a.perSecond,
    unit: 'items/s',
    details: {
      env: 'IRUN_FSYNC=0',
      ms: round(a.ms, 1),
      peakRssMb: round(a.peakRssMb, 1),
      journalBytes: a.journalBytes,
    },
  });
  figures.push({
    name: `engine.forEach${large}.items`,
    value: b.perSecond,
    unit: 'items/s',
    details: {
      env: 'IRUN_FSYNC=0',
      ms: round(b.ms, 1),
      peakRssMb: round(b.peakRssMb, 1),
      journalBytes: b.journalBytes,
    },
  });
  figures.push({
    name: `engine.forEach${small}.peakRss`,
    value: a.peakRssMb,
    unit: 'MB',
    details: { rssBeforeRunMb: round(a.rssBeforeMb, 1) },
  });
  figures.push({
    name: `engine.forEach${large}.peakRss`,
    value: b.peakRssMb,
    unit: 'MB',
    target: '≤ 250 MB',
    pass: b.peakRssMb <= 250,
    details: { rssBeforeRunMb: round(b.rssBeforeMb, 1) },
  });
  // "Not growing with item count": 10× the items may not cost more than 1.2× the memory.
  const growth = b.peakRssMb / a.peakRssMb;
  figures.push({
    name: 'engine.forEach.rssGrowth',
    value: growth,
    unit: `× (${large} / ${small} items)`,
    target: '≤ 1.2× (flat)',
    pass: growth <= 1.2,
  });
  return figures;
}
