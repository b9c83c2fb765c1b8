// Mutation testing of the trust-critical modules with StrykerJS (mocha runner, TypeScript
// checker), one module at a time, smallest first. Too slow for CI and never part of `npm test`.
//
//   npm run mutate                                   every module (hours on 2 cores)
//   npm run mutate -- --module redact                one module
//   npm run mutate -- --mutate engine/util/redact.ts one file (or file:from-to lines) with its module's tests
//   npm run mutate -- --concurrency 2                at most 2 test processes (default 1)
//   npm run mutate -- --no-check                     without the TypeScript checker (a mutant that
//                                                    would not compile then runs, and counts)
//
// Each module writes reports/mutation/<module>.json (Stryker's JSON report) and an incremental
// file, so a re-run after a new test only re-tests what changed. MUTATION.md is regenerated
// from the JSON reports at the end (scripts/mutation-report.mjs).
import { writeFileSync } from 'node:fs';
import { Stryker } from '@stryker-mutator/core';
import { MODULES, moduleOf } from './mutation-modules.mjs';
import { writeReport } from './mutation-report.mjs';

function parseArgs(argv) {
  const out = { mutate: [], modules: [], concurrency: 1, check: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--mutate' || a === '-m') out.mutate.push(...value().split(','));
    else if (a === '--module') out.modules.push(...value().split(','));
    else if (a === '--concurrency') out.concurrency = Math.max(1, Math.min(2, Number(value()) || 1));
    else if (a === '--no-check') out.check = false;
    else if (a === '--help' || a === '-h') out.help = true;
    else throw new Error(`unknown option ${a} (see --help)`);
  }
  return out;
}

function plan(args) {
  if (args.mutate.length) {
    const byModule = new Map();
    for (const file of args.mutate) {
      const m = moduleOf(file);
      if (!m) throw new Error(`${file} is in no module; modules: ${MODULES.map((x) => x.mutate.join(' ')).join(', ')}`);
      byModule.set(m, [...(byModule.get(m) ?? []), file]);
    }
    return [...byModule].map(([m, files]) => ({ ...m, mutate: files, partial: true }));
  }
  if (args.modules.length) {
    return args.modules.map((name) => {
      const m = MODULES.find((x) => x.name === name);
      if (!m) throw new Error(`no module ${name}; modules: ${MODULES.map((x) => x.name).join(', ')}`);
      return m;
    });
  }
  return MODULES;
}

function options(m, { concurrency, check }) {
  return {
    testRunner: 'mocha',
    plugins: ['@stryker-mutator/mocha-runner', ...(check ? ['@stryker-mutator/typescript-checker'] : [])],
    checkers: check ? ['typescript'] : [],
    tsconfigFile: 'tsconfig.json',
    mutate: m.mutate,
    mochaOptions: { config: '.mocharc.json', spec: m.spec },
    // the tests are TypeScript run through tsx, as in .mocharc.json
    testRunnerNodeArgs: ['--import', 'tsx'],
    coverageAnalysis: 'perTest',
    concurrency,
    timeoutMS: 20_000,
    reporters: ['json', 'clear-text', 'progress-append-only'],
    jsonReporter: { fileName: `reports/mutation/${m.name}${m.partial ? '.partial' : ''}.json` },
    incremental: !m.partial,
    incrementalFile: `reports/mutation/${m.name}.incremental.json`,
    tempDirName: '.stryker-tmp',
    ignorePatterns: ['dist', 'reports', '.irun', 'bench-results.json'],
    thresholds: { high: 90, low: 75, break: null },
    cleanTempDir: true,
  };
}

const args = parseArgs(process.argv.slice(2));
if (args.help) {
  console.log(
    `usage: npm run mutate -- [--module NAME] [--mutate FILE[:LINES]] [--concurrency 1|2] [--no-check]\nmodules: ${MODULES.map((m) => m.name).join(', ')}`,
  );
  process.exit(0);
}
let failed = false;
for (const m of plan(args)) {
  console.log(`\n== mutation testing: ${m.name} (${m.mutate.join(', ')})`);
  try {
    await new Stryker(options(m, args)).runMutationTest();
    const meta = { checker: args.check, concurrency: args.concurrency, spec: m.spec };
    writeFileSync(`reports/mutation/${m.name}${m.partial ? '.partial' : ''}.meta.json`, JSON.stringify(meta, null, 2));
  } catch (err) {
    failed = true;
    console.error(`mutation testing of ${m.name} failed: ${err instanceof Error ? err.message : String(err)}`);
  }
}
writeReport();
if (failed) process.exitCode = 1;
