/**
 * The human side of a run: answers to manual steps and approvals of changes. The executor asks
 * through this interface; a TTY prompter, an answers file, command-line flags and a scenario
 * each implement it. `undefined` means "no answer available": the run pauses (waiting).
 */
import { Codes, IrunError } from '../errors.js';
import type { AskSpec, Part, Step } from '../model.js';
import type { PlannedChange } from '../plugins/api.js';
import type { AnswerEvent, ApprovalEvent } from './events.js';

export interface ManualPrompt {
  step: Step;
  part: Part;
  /** Instructions rendered (Markdown). */
  instructions: string;
  checklist: string[];
  ask?: AskSpec;
}

export interface AnswerResult {
  value: unknown;
  actor: string;
  source: AnswerEvent['source'];
  checklist?: Record<string, boolean>;
}

export interface ApprovalRequest {
  step: Step;
  action: string;
  input: unknown;
  plan: PlannedChange;
}

export interface ApprovalResult {
  approved: boolean;
  actor: string;
  source: ApprovalEvent['source'];
}

export interface Human {
  answer(prompt: ManualPrompt): Promise<AnswerResult | undefined>;
  approve(request: ApprovalRequest): Promise<ApprovalResult | undefined>;
}

/** Answers and approvals given up front: --answers file, --answer k=v, --approve, --yes. */
export class PresetHuman implements Human {
  private readonly approved: Set<string>;

  constructor(
    private readonly options: {
      actor: string;
      answers?: Record<string, unknown>;
      approvals?: Iterable<string>;
      approveAll?: boolean;
      answerSource?: AnswerEvent['source'];
    },
  ) {
    this.approved = new Set(options.approvals ?? []);
  }

  async answer(prompt: ManualPrompt): Promise<AnswerResult | undefined> {
    const answers = this.options.answers ?? {};
    if (!Object.hasOwn(answers, prompt.step.id)) return undefined;
    return {
      value: answers[prompt.step.id],
      actor: this.options.actor,
      source: this.options.answerSource ?? 'answers-file',
    };
  }

  async approve(request: ApprovalRequest): Promise<ApprovalResult | undefined> {
    if (this.approved.has(request.step.id)) return { approved: true, actor: this.options.actor, source: 'flag' };
    if (this.options.approveAll) return { approved: true, actor: this.options.actor, source: 'yes' };
    return undefined;
  }
}

/** First human that answers wins (e.g. flags, then the answers file, then a TTY prompt). */
export class ChainHuman implements Human {
  constructor(private readonly chain: Human[]) {}

  async answer(prompt: ManualPrompt): Promise<AnswerResult | undefined> {
    for (const h of this.chain) {
      const a = await h.answer(prompt);
      if (a !== undefined) return a;
    }
    return undefined;
  }

  async approve(request: ApprovalRequest): Promise<ApprovalResult | undefined> {
    for (const h of this.chain) {
      const a = await h.approve(request);
      if (a !== undefined) return a;
    }
    return undefined;
  }
}

const YES = new Set(['y', 'yes', 'true', '1', 'on', 'done', 'ok']);
const NO = new Set(['n', 'no', 'false', '0', 'off']);

function choiceValues(ask: AskSpec): string[] {
  return (ask.choices ?? []).map((c) => (typeof c === 'string' ? c : c.value));
}

/**
 * Check and normalise an answer against the step's `ask` (answers from files and flags arrive
 * as text). A manual step without `ask` accepts any acknowledgement.
 */
export function coerceAnswer(step: Step, value: unknown): unknown {
  const ask = step.manual?.ask;
  const bad = (why: string) =>
    new IrunError(Codes.ANSWER_INVALID, `answer for step '${step.id}' is invalid: ${why}`, {
      suggestions: ask?.choices ? [`valid answers: ${choiceValues(ask).join(', ')}`] : [],
    });
  if (!ask) {
    if (value === null || value === undefined) throw bad('no value');
    return typeof value === 'string' && YES.has(value.toLowerCase()) ? true : value;
  }
  switch (ask.type) {
    case 'confirm': {
      if (typeof value === 'boolean') return value;
      const t = String(value).trim().toLowerCase();
      if (YES.has(t)) return true;
      if (NO.has(t)) return false;
      throw bad(`expected yes or no, got '${String(value)}'`);
    }
    case 'number': {
      const n = typeof value === 'number' ? value : Number(String(value).trim());
      if (!Number.isFinite(n) || String(value).trim() === '') throw bad(`expected a number, got '${String(value)}'`);
      return n;
    }
    case 'select': {
      const v = String(value);
      const choices = choiceValues(ask);
      if (choices.length && !choices.includes(v)) throw bad(`'${v}' is not one of ${choices.join(', ')}`);
      return v;
    }
    case 'multiselect': {
      const list = Array.isArray(value)
        ? value.map(String)
        : String(value)
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean);
      const choices = choiceValues(ask);
      const wrong = choices.length ? list.filter((v) => !choices.includes(v)) : [];
      if (wrong.length) throw bad(`${wrong.map((w) => `'${w}'`).join(', ')} not among ${choices.join(', ')}`);
      return list;
    }
    case 'input':
    default:
      if (value === null || value === undefined) throw bad('no value');
      return typeof value === 'string' ? value : typeof value === 'object' ? value : String(value);
  }
}
