/** The body of `irun test` (loaded when the command runs). */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { ExitCode, IrunError, serializeError } from '../errors.js';
import { yamlFileKind } from '../load/index.js';
import { Registry } from '../plugins/registry.js';
import { colorEnabled, palette, safe } from '../report/text.js';
import { relativeName, rehearse, type ScenarioOutcome } from '../run/rehearse.js';
import { loadScenario, scenarioFiles, type Scenario } from '../run/simulate.js';
import { formatDuration } from '../util/duration.js';
import { coverage as coverageOf, type RunbookCoverage } from '../report/coverage.js';
import { printDiagnostics } from './diagnostics.js';
import { loadForRun, type ReadyRunbook } from './runbook.js';

interface Job {
  runbook: string;
  scenarios: string[];
}

/** Runbooks under the given paths, each with the scenarios that belong to it. */
function collect(paths: string[]): Job[] {
  const jobs = new Map<string, Set<string>>();
  const addRunbook = (file: string) => {
    if (!jobs.has(file)) jobs.set(file, new Set(scenarioFiles(file)));
  };
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const full = path.join(dir, name);
      if (statSync(full).isDirectory()) {
        if (name !== 'scenarios' && name !== 'node_modules' && !name.startsWith('.')) walk(full);
      } else if (/\.ya?ml$/.test(name) && isRunbook(full)) addRunbook(full);
    }
  };
  for (const p of paths) {
    const full = path.resolve(p);
    if (!existsSync(full))
      throw new IrunError('IRUN_FILE_NOT_FOUND', `${p}: no such file or directory`, { exit: ExitCode.USAGE });
    if (statSync(full).isDirectory()) walk(full);
    else if (path.basename(path.dirname(full)) === 'scenarios') {
      // A scenario file: its runbook is in the parent folder.
      const sc = loadScenario(full);
      const rb = sc.runbook
        ? path.resolve(path.dirname(full), sc.runbook)
        : findRunbookFor(sc, path.dirname(path.dirname(full)));
      jobs.set(rb, new Set([...(jobs.get(rb) ?? []), full]));
    } else addRunbook(full);
  }
  return [...jobs.entries()].map(([runbook, s]) => ({ runbook, scenarios: [...s].sort() }));
}

function isRunbook(file: string): boolean {
  try {
    return yamlFileKind(readFileSync(file, 'utf8'), path.basename(file)) === 'runbook';
  } catch {
    return false;
  }
}

/** The `id:` of a runbook file, read by parsing it. */
function runbookId(file: string): unknown {
  try {
    return (parse(readFileSync(file, 'utf8').replace(/^\uFEFF/, '')) as { id?: unknown } | null)?.id;
  } catch {
    return undefined;
  }
}

function findRunbookFor(sc: Scenario, dir: string): string {
  const candidates = readdirSync(dir).filter((f) => /\.ya?ml$/.test(f) && isRunbook(path.join(dir, f)));
  if (sc.runbookId) {
    const hit = candidates.find((f) => runbookId(path.join(dir, f)) === sc.runbookId);
    if (hit) return path.join(dir, hit);
  }
  if (candidates.length === 1) return path.join(dir, candidates[0]);
  throw new IrunError('IRUN_SCENARIO_INVALID', `${sc.file}: cannot tell which runbook it belongs to; set 'runbook:'`, {
    exit: ExitCode.USAGE,
  });
}

function brokenScenario(file: string, err: unknown): ScenarioOutcome {
  const e = serializeError(err);
  return {
    scenario: path.basename(file).replace(/\.ya?ml$/, ''),
    title: '(could not run)',
    file,
    passed: false,
    failures: [`${e.code}: ${e.message}`],
    durationMs: 0,
    path: [],
    calls: [],
    result: undefined as never,
    events: [],
  };
}

function xml(s: string): string {
  return s
    .replace(/[<>&"']/g, (ch) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[ch]!)
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '');
}

interface RunbookOutcome {
  runbook: string;
  outcomes: ScenarioOutcome[];
  error?: string;
  coverage?: RunbookCoverage;
  /** The coverage is under --min. */
  belowMin?: boolean;
}

function junit(outcomes: RunbookOutcome[], min: number | undefined): string {
  const suites = outcomes.map((o) => {
    const cases = o.outcomes.map((s) => {
      const body = s.passed
        ? ''
        : `<failure message="${xml(s.failures[0] ?? 'failed')}">${xml(s.failures.join('\n'))}</failure>`;
      return `    <testcase classname="${xml(relativeName(o.runbook))}" name="${xml(s.scenario)}" time="${(s.durationMs / 1000).toFixed(3)}">${body}</testcase>`;
    });
    if (o.error)
      cases.push(
        `    <testcase classname="${xml(relativeName(o.runbook))}" name="validate"><failure message="${xml(o.error)}"/></testcase>`,
      );
    let props = '';
    if (o.coverage) {
      const c = o.coverage;
      props = `    <properties>\n${[
        ['coverage', c.percent],
        ['coverage.steps', `${c.steps.covered}/${c.steps.total}`],
        ['coverage.edges', `${c.edges.covered}/${c.edges.total}`],
        ...c.items.filter((i) => !i.covered).map((i) => ['coverage.missed', `${i.step}: ${i.label}`]),
      ]
        .map(([k, v]) => `      <property name="${xml(String(k))}" value="${xml(String(v))}"/>`)
        .join('\n')}\n    </properties>\n`;
      const missed = c.items.filter((i) => !i.covered).map((i) => `${i.step}: ${i.label}`);
      cases.push(
        `    <testcase classname="${xml(relativeName(o.runbook))}" name="coverage">${o.belowMin ? `<failure message="${xml(`coverage ${c.percent}% is under the minimum ${min}%`)}">${xml(missed.join('\n'))}</failure>` : ''}</testcase>`,
      );
    }
    const failures = o.outcomes.filter((s) => !s.passed).length + (o.error ? 1 : 0) + (o.belowMin ? 1 : 0);
    return `  <testsuite name="${xml(relativeName(o.runbook))}" tests="${cases.length}" failures="${failures}">\n${props}${cases.join('\n')}\n  </testsuite>`;
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites>\n${suites.join('\n')}\n</testsuites>`;
}

export interface TestOutput {
  log(message?: string): void;
  warn(message: string): void;
  done(code: number): void;
}

export async function testRun(
  cmd: TestOutput,
  argv: string[],
  flags: { reporter: string; grep?: string; coverage?: boolean; min?: number },
): Promise<void> {
  const withCoverage = flags.coverage || flags.min !== undefined;
  const paths = (argv as string[]).length ? (argv as string[]) : ['runbooks'];
  const jobs = collect(paths);
  const outcomes: RunbookOutcome[] = [];
  for (const job of jobs) {
    let ready: ReadyRunbook;
    try {
      ready = await loadForRun(job.runbook, new Registry());
    } catch (err) {
      const diags = (err as { diagnostics?: import('../diagnostics.js').Diagnostic[] }).diagnostics;
      if (diags && flags.reporter === 'spec') printDiagnostics(diags);
      outcomes.push({ runbook: job.runbook, outcomes: [], error: (err as Error).message });
      continue;
    }
    const list: ScenarioOutcome[] = [];
    for (const file of job.scenarios) {
      let scenario: Scenario;
      try {
        scenario = loadScenario(file);
      } catch (err) {
        list.push(brokenScenario(file, err));
        continue;
      }
      if (flags.grep && !scenario.scenario.includes(flags.grep)) continue;
      try {
        list.push(
          await rehearse({
            scenario,
            doc: ready.doc,
            file: job.runbook,
            sha256: ready.loaded.sha256,
            registry: ready.registry,
          }),
        );
      } catch (err) {
        list.push(brokenScenario(file, err));
      }
    }
    const result: RunbookOutcome = { runbook: job.runbook, outcomes: list };
    if (withCoverage) {
      result.coverage = coverageOf(
        ready.doc,
        list.map((s) => ({ scenario: s.scenario, events: s.events })),
      );
      result.belowMin = flags.min !== undefined && result.coverage.percent < flags.min;
    }
    outcomes.push(result);
  }
  const total = outcomes.flatMap((o) => o.outcomes);
  const failed = total.filter((o) => !o.passed).length + outcomes.filter((o) => o.error).length;
  const belowMin = outcomes.filter((o) => o.belowMin).length;
  if (flags.reporter === 'json') {
    cmd.log(
      JSON.stringify(
        outcomes.map((o) => ({
          runbook: relativeName(o.runbook),
          error: o.error,
          scenarios: o.outcomes.map((s) => ({
            scenario: s.scenario,
            title: s.title,
            file: relativeName(s.file),
            passed: s.passed,
            failures: s.failures,
            durationMs: s.durationMs,
            path: s.path,
          })),
          ...(o.coverage
            ? {
                coverage: {
                  ...o.coverage,
                  ...(flags.min !== undefined ? { min: flags.min, belowMin: o.belowMin } : {}),
                  missed: o.coverage.items.filter((i) => !i.covered).map((i) => `${i.step}: ${i.label}`),
                },
              }
            : {}),
        })),
        null,
        2,
      ),
    );
  } else if (flags.reporter === 'junit') {
    cmd.log(junit(outcomes, flags.min));
  } else {
    const c = palette(colorEnabled(process.stdout));
    for (const o of outcomes) {
      cmd.log(`\n${c.bold(relativeName(o.runbook))}`);
      if (o.error) cmd.log(`  ${c.red('✖')} ${safe(o.error)}`);
      if (!o.error && o.outcomes.length === 0) cmd.log(c.dim('  no scenarios (add runbooks/scenarios/<name>.yaml)'));
      for (const s of o.outcomes) {
        cmd.log(
          `  ${s.passed ? c.green('✔') : c.red('✖')} ${s.scenario} ${c.dim(`— ${safe(s.title)} (${s.path.length} steps, ${formatDuration(s.durationMs)})`)}`,
        );
        for (const f of s.failures) cmd.log(`      ${c.red(safe(f, true))}`);
      }
      if (o.coverage) printCoverage(cmd, o.coverage, o.belowMin ? flags.min : undefined, c);
    }
    const passed = total.filter((o) => o.passed).length;
    cmd.log(`\n${passed} passed, ${failed} failed`);
  }
  if (jobs.length === 0) cmd.warn(`no runbooks found under ${paths.join(', ')}`);
  cmd.done(failed > 0 || belowMin > 0 || jobs.length === 0 ? ExitCode.FAILED : ExitCode.OK);
}

function printCoverage(
  cmd: TestOutput,
  cov: RunbookCoverage,
  failedMin: number | undefined,
  c: ReturnType<typeof palette>,
): void {
  const line = `coverage ${cov.percent}% (steps ${cov.steps.covered}/${cov.steps.total}, branch edges ${cov.edges.covered}/${cov.edges.total})`;
  cmd.log(`  ${failedMin !== undefined ? c.red(`✖ ${line}, under the minimum ${failedMin}%`) : line}`);
  for (const i of cov.items.filter((x) => !x.covered))
    cmd.log(c.dim(`      not taken: ${safe(i.step)} ${i.kind === 'step' ? '(never ran)' : safe(i.label)}`));
}
