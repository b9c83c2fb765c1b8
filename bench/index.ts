/**
 * `npm run bench`: the benchmarks of BENCHMARKS.md, measured side by side in one run.
 *
 *   node dist/bench/index.js [--quick] [--only validation|engine|s3] [--out file]
 *
 * Prints one line per figure (`name: value unit (target: …) PASS|MISS`) and writes every figure
 * with its details to bench-results.json. Each measurement runs in child processes with a time
 * limit, so the whole run ends by itself.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { engineBench } from './engine.js';
import { line, machine, ROOT, round, type BenchOptions, type Figure } from './lib.js';
import { s3Bench } from './s3.js';
import { validationBench } from './validation.js';

const BENCHES: Record<string, (o: BenchOptions) => Promise<Figure[]>> = {
  validation: validationBench,
  engine: engineBench,
  s3: s3Bench,
};

function usage(message?: string): never {
  if (message) process.stderr.write(`${message}\n`);
  process.stderr.write(
    `usage: node dist/bench/index.js [--quick] [--only ${Object.keys(BENCHES).join('|')}] [--out file]\n`,
  );
  process.exit(2);
}

const args = process.argv.slice(2);
let quick = false;
const only: string[] = [];
let out = path.join(ROOT, 'bench-results.json');
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === '--quick') quick = true;
  else if (a === '--only') only.push(...(args[++i] ?? usage('--only needs a name')).split(','));
  else if (a.startsWith('--only=')) only.push(...a.slice(7).split(','));
  else if (a === '--out') out = path.resolve(args[++i] ?? usage('--out needs a file'));
  else if (a === '--help' || a === '-h') usage();
  else usage(`unknown argument '${a}'`);
}
for (const name of only) if (!BENCHES[name]) usage(`unknown benchmark '${name}'`);

const options: BenchOptions = { quick, childTimeoutMs: quick ? 120_000 : 300_000 };
const started = new Date();
const env = machine();
process.stdout.write(
  `irun benchmarks${quick ? ' (--quick)' : ''} — node ${env.node}, ${env.nproc} CPUs, ${env.memoryMb} MB, load ${(env.loadAverageAtStart as number[]).join(' ')}\n`,
);

const figures: Figure[] = [];
const failures: { bench: string; error: string }[] = [];
for (const [name, bench] of Object.entries(BENCHES)) {
  if (only.length && !only.includes(name)) continue;
  process.stdout.write(`\n## ${name}\n`);
  const t0 = Date.now();
  try {
    for (const f of await bench(options)) {
      figures.push({ ...f, value: round(f.value, 3) });
      process.stdout.write(`${line(f)}\n`);
    }
  } catch (err) {
    failures.push({ bench: name, error: String((err as Error)?.stack ?? err) });
    process.stdout.write(`${name}: ERROR ${(err as Error)?.message ?? err}\n`);
  }
  process.stdout.write(`(${name}: ${((Date.now() - t0) / 1000).toFixed(1)} s)\n`);
}

const targets = figures.filter((f) => f.pass !== undefined);
const summary = {
  date: started.toISOString(),
  command: `node dist/bench/index.js${quick ? ' --quick' : ''}${only.length ? ` --only ${only.join(',')}` : ''}`,
  quick,
  machine: env,
  durationSeconds: round((Date.now() - started.getTime()) / 1000, 1),
  passed: targets.filter((f) => f.pass).length,
  missed: targets.filter((f) => !f.pass).map((f) => f.name),
  figures,
  failures,
};
writeFileSync(out, `${JSON.stringify(summary, null, 2)}\n`);
process.stdout.write(
  `\n${summary.passed} of ${targets.length} targets met${summary.missed.length ? `; missed: ${summary.missed.join(', ')}` : ''}; ${summary.durationSeconds} s; results in ${path.relative(process.cwd(), out) || out}\n`,
);
if (failures.length) process.exitCode = 1;
