/**
 * Benchmark 1: `irun validate` as a cold process against `ajv-cli validate` with the same schema
 * on the same files (schema only), for the shipped runbook and for a generated corpus; and where
 * irun's start-up time goes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeCorpus } from './corpus.js';
import { median, ROOT, round, runTimed, runWorker, type BenchOptions, type Figure } from './lib.js';

const SHIPPED = path.join(ROOT, 'runbooks/s3-unintended-access.yaml');
const SCHEMA = path.join(ROOT, 'schemas/runbook.schema.json');
const IRUN = path.join(ROOT, 'bin/run.js');
const AJV_CLI = path.join(ROOT, 'node_modules/ajv-cli/dist/index.js');
/**
 * ajv-cli with the options irun's own ajv instance uses (strict, all errors, union types,
 * formats). ajv-cli reads YAML data files itself (through js-yaml), so both read the same files.
 */
const AJV_FLAGS = [
  '--spec=draft7',
  '-c',
  'ajv-formats',
  '--all-errors',
  '--allow-union-types',
  '--strict-required=false',
];

async function irunValidate(paths: string[], timeoutMs: number): Promise<number> {
  const r = await runTimed(process.execPath, [IRUN, 'validate', ...paths], {
    timeoutMs,
    env: { ...process.env, NO_COLOR: '1' },
  });
  if (r.code !== 0)
    throw new Error(`irun validate exited ${r.code ?? r.signal}: ${r.stdout.slice(-1500)}${r.stderr.slice(-1500)}`);
  return r.wallMs;
}

async function ajvValidate(dataArg: string, timeoutMs: number): Promise<number> {
  const r = await runTimed(process.execPath, [AJV_CLI, 'validate', '-s', SCHEMA, '-d', dataArg, ...AJV_FLAGS], {
    timeoutMs,
  });
  if (r.code !== 0)
    throw new Error(`ajv-cli validate exited ${r.code ?? r.signal}: ${r.stderr.slice(-1500)}${r.stdout.slice(-500)}`);
  return r.wallMs;
}

/** Alternate the two commands so both see the same machine load. */
async function sideBySide(
  reps: number,
  irun: () => Promise<number>,
  ajv: () => Promise<number>,
): Promise<{ irun: number[]; ajv: number[] }> {
  const out = { irun: [] as number[], ajv: [] as number[] };
  for (let i = 0; i < reps; i++) {
    if (i % 2 === 0) {
      out.irun.push(await irun());
      out.ajv.push(await ajv());
    } else {
      out.ajv.push(await ajv());
      out.irun.push(await irun());
    }
  }
  return out;
}

export interface StartupBreakdown {
  nodeBootMs: number;
  oclifMs: number;
  modulesMs: number;
  schemaCompileMs: number;
  packsMs: number;
  validateMs: number;
  totalInProcessMs: number;
}

export async function validationBench(o: BenchOptions): Promise<Figure[]> {
  const figures: Figure[] = [];
  const reps = o.quick ? 3 : 7;
  const corpusSize = o.quick ? 100 : 500;
  const corpusReps = o.quick ? 1 : 3;

  // warm the file system cache once for each tool
  await irunValidate([SHIPPED], o.childTimeoutMs);
  await ajvValidate(SHIPPED, o.childTimeoutMs);

  const one = await sideBySide(
    reps,
    () => irunValidate([SHIPPED], o.childTimeoutMs),
    () => ajvValidate(SHIPPED, o.childTimeoutMs),
  );
  const irunOne = median(one.irun);
  const ajvOne = median(one.ajv);
  figures.push({
    name: 'validate.one.irun',
    value: irunOne,
    unit: 'ms',
    details: { runs: one.irun.map((v) => round(v, 1)) },
  });
  figures.push({
    name: 'validate.one.ajv-cli',
    value: ajvOne,
    unit: 'ms',
    details: { runs: one.ajv.map((v) => round(v, 1)) },
  });
  figures.push({
    name: 'validate.one.ratio',
    value: irunOne / ajvOne,
    unit: '× ajv-cli',
    target: '≤ 1.5× ajv-cli',
    pass: irunOne / ajvOne <= 1.5,
  });

  const dir = mkdtempSync(path.join(os.tmpdir(), 'irun-bench-corpus-'));
  try {
    writeCorpus(dir, corpusSize);
    await irunValidate([dir], o.childTimeoutMs); // warm the page cache and check the corpus is clean
    const many = await sideBySide(
      corpusReps,
      () => irunValidate([dir], o.childTimeoutMs),
      () => ajvValidate(path.join(dir, '*.yaml'), o.childTimeoutMs),
    );
    const irunMany = median(many.irun);
    const ajvMany = median(many.ajv);
    figures.push({
      name: `validate.corpus${corpusSize}.irun`,
      value: irunMany,
      unit: 'ms',
      details: { files: corpusSize, stepsPerFile: 60, runs: many.irun.map((v) => round(v, 1)) },
    });
    figures.push({
      name: `validate.corpus${corpusSize}.ajv-cli`,
      value: ajvMany,
      unit: 'ms',
      details: { files: corpusSize, runs: many.ajv.map((v) => round(v, 1)) },
    });
    figures.push({
      name: `validate.corpus${corpusSize}.ratio`,
      value: irunMany / ajvMany,
      unit: '× ajv-cli',
      target: '≤ 1.0× ajv-cli',
      pass: irunMany / ajvMany <= 1.0,
    });

    // Where irun's time goes, in-process in a fresh child (same order as the CLI).
    const runs: StartupBreakdown[] = [];
    for (let i = 0; i < (o.quick ? 1 : 3); i++)
      runs.push(await runWorker<StartupBreakdown>('startup', { files: [SHIPPED] }, { timeoutMs: o.childTimeoutMs }));
    const corpusRun = await runWorker<StartupBreakdown>('startup', { files: [dir] }, { timeoutMs: o.childTimeoutMs });
    const pick = (k: keyof StartupBreakdown) => round(median(runs.map((r) => r[k])), 1);
    for (const [k, label] of [
      ['nodeBootMs', 'node start-up'],
      ['oclifMs', 'oclif load (config + command)'],
      ['modulesMs', 'engine modules (validate, load, template, yaml, handlebars, ajv)'],
      ['schemaCompileMs', 'runbook schema compile'],
      ['packsMs', 'action packs used (import + schema compile)'],
      ['validateMs', 'validation proper'],
      ['totalInProcessMs', 'total'],
    ] as const) {
      figures.push({
        name: `validate.startup.${k.replace(/Ms$/, '')}`,
        value: pick(k),
        unit: 'ms',
        details: { what: label, corpus: round(corpusRun[k], 1) },
      });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return figures;
}
