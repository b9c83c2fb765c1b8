/** The interactive human: manual steps and approvals as terminal prompts (@inquirer/prompts). */
import type { AskSpec } from '../model.js';
import type { AnswerResult, ApprovalRequest, ApprovalResult, Human, ManualPrompt } from '../run/human.js';
import { terminalScreen, type Screen } from '../report/screen.js';
import { palette, safe } from '../report/text.js';

export interface PromptStreams {
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
}

export class TtyHuman implements Human {
  private readonly c: ReturnType<typeof palette>;
  private readonly io: PromptStreams;

  constructor(
    private readonly actor: string,
    streams?: PromptStreams,
    /** Prompts take the terminal from the spinner here (default: the process's terminal). */
    private readonly screen: Screen = terminalScreen,
  ) {
    this.io = streams ?? { input: process.stdin, output: process.stdout };
    this.c = palette(!streams && !!process.stdout.isTTY && !process.env.NO_COLOR);
  }

  answer(p: ManualPrompt): Promise<AnswerResult | undefined> {
    return this.screen.prompt(() => this.ask(p));
  }

  approve(r: ApprovalRequest): Promise<ApprovalResult | undefined> {
    return this.screen.prompt(() => this.confirmChange(r));
  }

  private async ask(p: ManualPrompt): Promise<AnswerResult> {
    const { confirm, select, checkbox, input, number } = await import('@inquirer/prompts');
    const c = this.c;
    const out = this.io.output;
    const ctx = { input: this.io.input, output: this.io.output } as never;
    out.write(
      `\n  ${c.bold(c.cyan('▶'))} ${c.bold(safe(p.step.title ?? p.step.id))} ${c.dim(p.step.ref ? `(${p.step.ref})` : '')}\n`,
    );
    if (p.instructions) out.write(`${indent(safe(p.instructions.trimEnd(), true), 4)}\n`);
    let checklist: Record<string, boolean> | undefined;
    if (p.checklist.length) {
      const done = await checkbox(
        {
          message: 'Checklist — tick what is done',
          choices: p.checklist.map((item) => ({ name: safe(item), value: item })),
        },
        ctx,
      );
      checklist = Object.fromEntries(p.checklist.map((item) => [item, done.includes(item)]));
    }
    const ask: AskSpec | undefined = p.ask;
    let value: unknown;
    if (!ask) {
      value = await confirm({ message: 'Done?', default: true }, ctx);
    } else {
      const message = safe(ask.message ?? p.step.title ?? p.step.id);
      const choices = (ask.choices ?? []).map((ch) =>
        typeof ch === 'string'
          ? { name: ch, value: ch }
          : { name: ch.name ?? ch.value, value: ch.value, description: ch.description },
      );
      switch (ask.type) {
        case 'confirm':
          value = await confirm({ message, default: typeof ask.default === 'boolean' ? ask.default : undefined }, ctx);
          break;
        case 'select':
          value = await select({ message, choices, default: ask.default as string | undefined }, ctx);
          break;
        case 'multiselect':
          value = await checkbox(
            {
              message,
              choices: choices.map((ch) => ({
                ...ch,
                checked: Array.isArray(ask.default) && ask.default.includes(ch.value),
              })),
            },
            ctx,
          );
          break;
        case 'number':
          value = await number(
            {
              message,
              default: typeof ask.default === 'number' ? ask.default : undefined,
              required: ask.required !== false,
            },
            ctx,
          );
          break;
        default:
          value = await input(
            {
              message,
              default: ask.default === undefined || ask.default === null ? undefined : String(ask.default),
              required: ask.required === true,
            },
            ctx,
          );
      }
    }
    return { value, actor: this.actor, source: 'prompt', ...(checklist ? { checklist } : {}) };
  }

  private async confirmChange(r: ApprovalRequest): Promise<ApprovalResult> {
    const { confirm } = await import('@inquirer/prompts');
    const c = this.c;
    const out = this.io.output;
    const ctx = { input: this.io.input, output: this.io.output } as never;
    out.write(`\n  ${c.yellow('⚠ change')} ${c.bold(r.step.id)} ${c.dim(r.action)}\n    ${safe(r.plan.summary)}\n`);
    if (r.plan.details !== undefined) out.write(`${indent(safe(JSON.stringify(r.plan.details, null, 2), true), 6)}\n`);
    if (r.plan.noop) out.write(`    ${c.dim('(already in the desired state: nothing would change)')}\n`);
    const approved = await confirm({ message: 'Apply this change?', default: false }, ctx);
    return { approved, actor: this.actor, source: 'prompt' };
  }
}

function indent(text: string, n: number): string {
  const pad = ' '.repeat(n);
  return text
    .split('\n')
    .map((l) => pad + l)
    .join('\n');
}
