/**
 * Scenarios: tabletop simulations of a runbook. A scenario gives inputs, answers, approvals and
 * stubbed action results; `irun exec --scenario` runs the real engine with every action answered
 * from the stubs (nothing reaches AWS), and `irun test` checks the run against `expect`.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { awsErrorCode, Codes, ExitCode, IrunError } from '../errors.js';
import type { Step } from '../model.js';
import { PACKAGE_ROOT } from '../plugins/registry.js';
import { compile, formatAjvErrors } from '../schema/ajv.js';
import type { Simulator } from './executor.js';
import type { AnswerResult, ApprovalRequest, ApprovalResult, Human, ManualPrompt } from './human.js';

export interface ScenarioError {
  name: string;
  message?: string;
  code?: string;
}

export interface ScenarioResult {
  output?: unknown;
  error?: ScenarioError;
}

export interface Stub extends ScenarioResult {
  step?: string;
  action?: string;
  with?: Record<string, unknown>;
  sequence?: ScenarioResult[];
}

export interface ScenarioExpect {
  status?: string;
  outcome?: string;
  path?: string[];
  pathIncludes?: string[];
  notVisited?: string[];
  calls?: { action: string; step?: string; with?: Record<string, unknown> }[];
  outputs?: Record<string, unknown>;
  statuses?: Record<string, string>;
  vars?: Record<string, unknown>;
}

export interface Scenario {
  scenario: string;
  title: string;
  description?: string;
  runbook?: string;
  runbookId?: string;
  actor?: string;
  now?: string;
  inputs?: Record<string, unknown>;
  answers?: Record<string, unknown>;
  approvals?: 'all' | 'none' | string[];
  decline?: string[];
  stubs?: Stub[];
  expect?: ScenarioExpect;
  /** Where it was read from. */
  file: string;
}

let schema: object | undefined;
function scenarioSchema(): object {
  schema ??= JSON.parse(readFileSync(path.join(PACKAGE_ROOT, 'schemas/scenario.schema.json'), 'utf8')) as object;
  return schema;
}

/** Read and check a scenario file; problems are IRUN_SCENARIO_INVALID with the line. */
export function loadScenario(file: string): Scenario {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new IrunError(Codes.FILE_NOT_FOUND, `scenario file ${file} cannot be read`, { exit: ExitCode.USAGE });
  }
  const doc = parseDocument(text, { prettyErrors: false });
  if (doc.errors.length) {
    const e = doc.errors[0];
    throw new IrunError(Codes.YAML_SYNTAX, `${file}: ${e.message.split('\n')[0]}`, {
      location: { file, line: e.linePos?.[0]?.line, column: e.linePos?.[0]?.col },
    });
  }
  const value = doc.toJS() as Record<string, unknown>;
  const validate = compile(scenarioSchema());
  if (!validate(value)) {
    const first = validate.errors?.[0];
    let line: number | undefined;
    if (first) {
      const segs = first.instancePath
        .split('/')
        .slice(1)
        .map((s) => (/^\d+$/.test(s) ? Number(s) : s.replace(/~1/g, '/').replace(/~0/g, '~')));
      const node = doc.getIn(segs, true) as { range?: [number, number] } | undefined;
      if (node?.range) line = text.slice(0, node.range[0]).split('\n').length;
    }
    throw new IrunError('IRUN_SCENARIO_INVALID', `${file}: ${formatAjvErrors(validate.errors)}`, {
      location: { file, line },
    });
  }
  for (const [i, s] of ((value.stubs as Stub[] | undefined) ?? []).entries()) {
    if (!s.step && !s.action)
      throw new IrunError('IRUN_SCENARIO_INVALID', `${file}: stub ${i + 1} needs a step or an action`, {
        location: { file },
      });
    const kinds = [s.output !== undefined, s.error !== undefined, s.sequence !== undefined].filter(Boolean).length;
    if (kinds !== 1)
      throw new IrunError(
        'IRUN_SCENARIO_INVALID',
        `${file}: stub ${i + 1} (${s.step ?? s.action}) needs exactly one of output, error or sequence`,
        { location: { file } },
      );
  }
  return { ...(value as unknown as Scenario), file };
}

/**
 * Scenario files of a runbook: those in its scenarios/ folder that belong to it. A scenario
 * names its runbook by file (`runbook:`) or by id (`runbookId:`); one that names neither belongs
 * to the only runbook of the folder. Several runbooks can so share one scenarios/ folder.
 */
export function scenarioFiles(runbookFile: string): string[] {
  const dir = path.join(path.dirname(runbookFile), 'scenarios');
  if (!existsSync(dir)) return [];
  const files = readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => path.join(dir, f));
  const siblings = readdirSync(path.dirname(runbookFile)).filter(
    (f) => /\.ya?ml$/.test(f) && runbookIdOf(path.join(path.dirname(runbookFile), f)) !== undefined,
  );
  const id = runbookIdOf(runbookFile);
  const self = path.resolve(runbookFile);
  return files.filter((f) => {
    const head = scenarioHead(f);
    if (typeof head.runbook === 'string') return path.resolve(dir, head.runbook) === self;
    if (typeof head.runbookId === 'string') return head.runbookId === id;
    return siblings.length <= 1;
  });
}

/** The `id:` of a runbook file (irun: 1), read without loading it; undefined for other files. */
function runbookIdOf(file: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8').slice(0, 8192);
  } catch {
    return undefined;
  }
  if (!/^irun:\s*1\s*$/m.test(text)) return undefined;
  return /^id:\s*["']?([a-z0-9-]+)["']?\s*$/m.exec(text)?.[1] ?? '';
}

/** The runbook/runbookId of a scenario file (a broken file belongs to every runbook: `irun test` reports it). */
function scenarioHead(file: string): { runbook?: unknown; runbookId?: unknown } {
  try {
    const doc = parseDocument(readFileSync(file, 'utf8')).toJS() as Record<string, unknown> | null;
    return { runbook: doc?.runbook, runbookId: doc?.runbookId };
  } catch {
    return {};
  }
}

/** `--scenario <file|name>`: a path, or a scenario name in the runbook's scenarios/ folder. */
export function resolveScenario(arg: string, runbookFile: string): string {
  const direct = path.resolve(arg);
  if (existsSync(direct)) return direct;
  for (const file of scenarioFiles(runbookFile)) {
    const base = path.basename(file).replace(/\.ya?ml$/, '');
    if (base === arg || base === arg.replace(/\.ya?ml$/, '')) return file;
  }
  for (const file of scenarioFiles(runbookFile)) {
    try {
      if (loadScenario(file).scenario === arg) return file;
    } catch {
      // skip broken ones here; `irun test` reports them
    }
  }
  const names = scenarioFiles(runbookFile).map((f) => path.basename(f).replace(/\.ya?ml$/, ''));
  throw new IrunError(Codes.FILE_NOT_FOUND, `scenario '${arg}' not found`, {
    exit: ExitCode.USAGE,
    suggestions: names.length ? [`scenarios of this runbook: ${names.join(', ')}`] : [],
  });
}

/** Deep partial match: every key of `expected` is in `actual` with a matching value. */
export function partialMatch(actual: unknown, expected: unknown): boolean {
  if (expected === null || typeof expected !== 'object')
    return actual === expected || (typeof actual === 'number' && String(actual) === expected);
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual) || actual.length !== expected.length) return false;
    return expected.every((e, i) => partialMatch(actual[i], e));
  }
  if (actual === null || typeof actual !== 'object' || Array.isArray(actual)) return false;
  return Object.entries(expected as Record<string, unknown>).every(
    ([k, v]) => Object.hasOwn(actual as object, k) && partialMatch((actual as Record<string, unknown>)[k], v),
  );
}

export interface RecordedCall {
  step: string;
  action: string;
  input: unknown;
}

/** Answers actions from the scenario's stubs and records every call. */
export class ScenarioSimulator implements Simulator {
  readonly calls: RecordedCall[] = [];
  private readonly used = new Map<Stub, number>();

  constructor(readonly scenario: Scenario) {}

  async call(req: { step: Step; action: string; input: unknown; runLocal?: () => Promise<unknown> }): Promise<unknown> {
    this.calls.push({ step: req.step.id, action: req.action, input: req.input });
    const stubs = this.scenario.stubs ?? [];
    const stub =
      stubs.find(
        (s) =>
          s.step === req.step.id &&
          (!s.action || s.action === req.action) &&
          (!s.with || partialMatch(req.input, s.with)),
      ) ?? stubs.find((s) => !s.step && s.action === req.action && (!s.with || partialMatch(req.input, s.with)));
    // a local action (core.log, core.assert) needs no stub: it runs as it would for real
    if (!stub && req.runLocal) return req.runLocal();
    if (!stub) {
      throw new IrunError(
        'IRUN_SCENARIO_NO_STUB',
        `scenario '${this.scenario.scenario}' has no stub for step '${req.step.id}' (action ${req.action})`,
        {
          suggestions: [`add to ${path.basename(this.scenario.file)}: stubs: [{ step: ${req.step.id}, output: ... }]`],
        },
      );
    }
    let result: ScenarioResult = stub;
    if (stub.sequence) {
      const n = this.used.get(stub) ?? 0;
      this.used.set(stub, n + 1);
      result = stub.sequence[Math.min(n, stub.sequence.length - 1)];
    }
    if (result.error) {
      const e = result.error;
      throw new IrunError(
        (e.code as `IRUN_${string}`) ?? awsErrorCode(e.name),
        `${req.action} failed: ${e.name}: ${e.message ?? 'simulated error'} (simulated)`,
        {
          details: { awsError: e.name, simulated: true },
        },
      );
    }
    return structuredClone(result.output ?? null);
  }
}

/** The humans of a scenario: its answers (one per visit when a list) and approvals. */
export class ScenarioHuman implements Human {
  private readonly visits = new Map<string, number>();
  constructor(private readonly scenario: Scenario) {}

  private get actor(): string {
    return this.scenario.actor ?? 'scenario';
  }

  async answer(p: ManualPrompt): Promise<AnswerResult | undefined> {
    const answers = this.scenario.answers ?? {};
    if (!Object.hasOwn(answers, p.step.id)) return undefined;
    let value = answers[p.step.id];
    if (Array.isArray(value) && p.step.manual?.ask?.type !== 'multiselect') {
      const n = this.visits.get(p.step.id) ?? 0;
      this.visits.set(p.step.id, n + 1);
      value = value[Math.min(n, value.length - 1)];
    }
    return { value, actor: this.actor, source: 'scenario' };
  }

  async approve(r: ApprovalRequest): Promise<ApprovalResult | undefined> {
    if (this.scenario.decline?.includes(r.step.id)) return { approved: false, actor: this.actor, source: 'scenario' };
    const a = this.scenario.approvals ?? 'all';
    if (a === 'all' || (Array.isArray(a) && a.includes(r.step.id)))
      return { approved: true, actor: this.actor, source: 'scenario' };
    return undefined;
  }
}

export function simulatorFromFile(file: string): ScenarioSimulator {
  return new ScenarioSimulator(loadScenario(file));
}
