/**
 * What `irun exec`, `resume` and `undo` share: answers and approvals, the run with its journal and
 * reporter, and what to print next. Loaded only when one of those commands runs.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { Codes, ExitCode, IrunError } from '../errors.js';
import { consoleReporter, jsonLinesReporter } from '../report/console.js';
import { colorEnabled } from '../report/text.js';
import { defaultRunId, execute, type RunResult } from '../run/executor.js';
import { resolveInputs } from '../run/inputs.js';
import { RunStore, runsDir } from '../run/store.js';
import { ChainHuman, PresetHuman, type Human } from '../run/human.js';
import { loadScenario, resolveScenario, ScenarioHuman, ScenarioSimulator } from '../run/simulate.js';
import { signerFrom } from './signing.js';
import { awsSettingsFromFlags, defaultActor, parsePairs, safe } from './base.js';
import { printDiagnostics } from './diagnostics.js';
import { TtyHuman } from './prompter.js';
import { loadForRun, resolveRunbookPath } from './runbook.js';
import { VERSION } from './version.js';

export function readYamlMap(file: string, what: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new IrunError(Codes.FILE_NOT_FOUND, `${what} file '${file}' cannot be read`, { exit: ExitCode.USAGE });
  }
  let value: unknown;
  try {
    value = parseYaml(text);
  } catch (cause) {
    const e = cause as { linePos?: { line: number; col: number }[]; message: string };
    throw new IrunError(Codes.YAML_SYNTAX, `${what} file is not valid YAML: ${e.message.split('\n')[0]}`, {
      exit: ExitCode.USAGE,
      location: { file, line: e.linePos?.[0]?.line, column: e.linePos?.[0]?.col },
    });
  }
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value))
    throw new IrunError(Codes.USAGE, `${what} file '${file}' must be a map of name: value`, { exit: ExitCode.USAGE });
  return value as Record<string, unknown>;
}

/** Run (or resume) with the journal and a console or JSON reporter; prints what to do next. */
export async function runWithStore(o: {
  store: RunStore;
  json?: boolean;
  doc: import('../model.js').RunbookDoc;
  base: import('../run/executor.js').ExecuteOptions;
}): Promise<RunResult> {
  const { store } = o;
  const reporter = o.json
    ? jsonLinesReporter(process.stdout)
    : consoleReporter({ out: process.stdout, color: colorEnabled(process.stdout), doc: o.doc });
  const controller = new AbortController();
  const onSigint = () => controller.abort();
  process.once('SIGINT', onSigint);
  let result: RunResult;
  try {
    result = await execute({
      ...o.base,
      listeners: [store.listener(), reporter],
      evidenceFor: (step) => store.evidenceFor(step),
      signal: controller.signal,
    });
  } finally {
    process.removeListener('SIGINT', onSigint);
    (reporter as { close?: () => void }).close?.();
    try {
      await store.settle();
    } finally {
      store.close();
    }
  }
  if (!o.json) printNext(result, store.dir);
  return result;
}

function printNext(result: RunResult, dir: string): void {
  const id = result.runId;
  const out = process.stdout;
  const rel = path.relative(process.cwd(), dir);
  out.write(`  run record: ${rel && !rel.startsWith('..') ? rel : dir}\n`);
  if (result.status === 'waiting' && result.waiting) {
    const w = result.waiting;
    const flag = w.reason === 'answer' ? `--answer ${w.step}=<value>` : `--approve ${w.step}`;
    out.write(
      `  waiting for ${w.reason === 'answer' ? 'an answer' : 'approval'} at step ${w.step}. To continue:\n    irun resume ${id} ${flag}\n`,
    );
  } else if (result.status === 'failed' && result.state.failedStep) {
    out.write(`  after fixing the cause, retry the failed step with:  irun resume ${id}\n`);
  }
  if (result.state.run.dryRun) {
    out.write(`\n  Plan — what a real run would change (${result.changes.length}):\n`);
    for (const ch of result.changes)
      out.write(
        `    ${ch.step}  ${ch.action}: ${safe(ch.plan?.summary ?? '')}${ch.plan?.noop ? ' (already so: no change)' : ''}\n`,
      );
    if (!result.changes.length) out.write('    nothing\n');
  }
  if (result.status !== 'waiting') out.write(`  report: irun report ${id} --format md\n`);
}

/**
 * Who answers, in order: --answer/--approve/--yes, the --answers file, a scenario (simulation),
 * then the responder at the terminal.
 */
export function buildHuman(
  flags: { answers?: string; answer?: string[]; yes?: boolean; approve?: string[]; 'no-input'?: boolean },
  actor: string,
  scenario?: Human,
): Human {
  const chain: Human[] = [];
  const cli = parsePairs(flags.answer, 'answer');
  chain.push(
    new PresetHuman({
      actor,
      answers: cli,
      approvals: flags.approve ?? [],
      approveAll: flags.yes,
      answerSource: 'flag',
    }),
  );
  if (flags.answers)
    chain.push(
      new PresetHuman({ actor, answers: readYamlMap(flags.answers, 'answers'), answerSource: 'answers-file' }),
    );
  if (scenario) chain.push(scenario);
  if (process.stdin.isTTY && process.stdout.isTTY && !flags['no-input'] && !process.env.CI)
    chain.push(new TtyHuman(actor));
  return new ChainHuman(chain);
}

export function exitCodeOf(result: RunResult): number {
  switch (result.status) {
    case 'completed':
      return ExitCode.OK;
    case 'waiting':
      return ExitCode.WAITING;
    default:
      return ExitCode.FAILED;
  }
}

export interface ExecArgs {
  runbook: string;
}

/** The body of `irun exec`. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- oclif flags, typed per command
export async function execRun(args: ExecArgs, flags: Record<string, any>): Promise<void> {
  const file = resolveRunbookPath(args.runbook);
  let ready;
  try {
    ready = await loadForRun(file);
  } catch (err) {
    const diags = (err as { diagnostics?: import('../diagnostics.js').Diagnostic[] }).diagnostics;
    if (diags) printDiagnostics(diags, (err as { loaded?: { text: string } }).loaded?.text);
    throw err;
  }
  const actor = flags.actor ?? defaultActor();
  let simulator: ScenarioSimulator | undefined;
  let scenarioFile: string | undefined;
  let scenarioInputs: Record<string, unknown> = {};
  if (flags.scenario) {
    scenarioFile = resolveScenario(flags.scenario, file);
    simulator = new ScenarioSimulator(loadScenario(scenarioFile));
    scenarioInputs = simulator.scenario.inputs ?? {};
  }
  const human = buildHuman(flags, actor, simulator ? new ScenarioHuman(simulator.scenario) : undefined);
  const inputs: Record<string, unknown> = {
    ...scenarioInputs,
    ...(flags.inputs ? readYamlMap(flags.inputs, 'inputs') : {}),
    ...parsePairs(flags.input, 'input'),
  };
  // A scenario's `now` sets the simulated clock: it starts there and advances in real time.
  const at = simulator?.scenario.now ? Date.parse(simulator.scenario.now) : NaN;
  const offset = Number.isNaN(at) ? 0 : at - Date.now();
  const now = () => new Date(Date.now() + offset);
  // Bad inputs end here, before a run record exists.
  await resolveInputs(ready.doc, inputs, {
    now,
    run: { id: '', actor, dryRun: !!flags['dry-run'], simulated: !!simulator, startedAt: now().toISOString() },
  });
  const runId = flags['run-id'] ?? defaultRunId(new Date());
  const signer = await signerFrom(flags['sign-key'], awsSettingsFromFlags(flags));
  const store = RunStore.create(runsDir(flags['run-dir']), runId, { irunVersion: VERSION, signer });
  if (scenarioFile) store.setScenario(scenarioFile);
  const result = await runWithStore({
    store,
    json: flags.json,
    doc: ready.doc,
    base: {
      doc: ready.doc,
      file: path.resolve(file),
      sha256: ready.loaded.sha256,
      registry: ready.registry,
      human,
      inputs,
      dryRun: flags['dry-run'],
      actor,
      runId,
      aws: awsSettingsFromFlags(flags),
      version: VERSION,
      ...(simulator ? { simulator, now } : {}),
    },
  });
  process.exitCode = exitCodeOf(result);
}
