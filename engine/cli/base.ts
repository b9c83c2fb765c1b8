/**
 * The base of every irun command: errors become one clear line with an IRUN_* code (never a
 * stack trace unless IRUN_DEBUG is set), and outcomes map to exit codes
 * (0 ok, 1 failed/invalid, 2 usage or internal error, 3 waiting for a human).
 */
import { Command, Flags } from '@oclif/core';
import os from 'node:os';
import { Codes, ExitCode, IrunError } from '../errors.js';
import { colorEnabled, palette, safe } from '../report/text.js';
import { signFlags } from './signing.js';

export abstract class BaseCommand extends Command {
  static override baseFlags = {};

  protected get color() {
    return palette(colorEnabled(process.stderr));
  }

  /** Print an error the irun way and return the exit code it maps to. */
  protected report(err: unknown): number {
    const c = this.color;
    const e = err as Error & {
      oclif?: { exit?: number };
      code?: string;
      exit?: number;
      suggestions?: string[];
      location?: { file?: string; line?: number; column?: number };
    };
    let code: string;
    let exit: number;
    if (err instanceof IrunError) {
      code = err.code;
      exit = err.exit;
    } else if (
      e?.oclif?.exit !== undefined ||
      /Unexpected argument|Nonexistent flag|Missing required flag|Expected --|Missing \d+ required arg|flag .* expects|Parsing --/i.test(
        e?.message ?? '',
      )
    ) {
      code = Codes.USAGE;
      exit = e?.oclif?.exit === 0 ? 0 : ExitCode.USAGE;
    } else {
      code = Codes.INTERNAL;
      exit = ExitCode.USAGE;
    }
    if (exit === 0) return 0;
    const where = e?.location?.file
      ? `${e.location.file}${e.location.line ? `:${e.location.line}:${e.location.column ?? 1}` : ''}: `
      : '';
    const message = safe(String(e?.message ?? err).replace(/^Error: /, ''), true);
    process.stderr.write(`${c.red('error')} ${c.bold(code)} ${where}${message}\n`);
    for (const s of e?.suggestions ?? []) process.stderr.write(`  ${c.dim('hint:')} ${safe(s)}\n`);
    if (code === Codes.USAGE) process.stderr.write(`  ${c.dim(`see: irun ${this.id ?? ''} --help`)}\n`);
    if (code === Codes.INTERNAL || process.env.IRUN_DEBUG) process.stderr.write(`${c.dim(String(e?.stack ?? ''))}\n`);
    return exit;
  }

  protected override async catch(err: Error & { exitCode?: number; oclif?: { exit?: number } }): Promise<unknown> {
    // oclif signals this.exit(n) with an ExitError; let it through.
    if (err?.oclif?.exit !== undefined && /^EEXIT/.test((err as { code?: string }).code ?? '')) throw err;
    const exit = this.report(err);
    process.exitCode = exit;
    return undefined;
  }

  /** End with an exit code without a stack trace. */
  done(code: number): void {
    process.exitCode = code;
  }
}

export function defaultActor(): string {
  if (process.env.IRUN_ACTOR) return process.env.IRUN_ACTOR;
  try {
    return `${os.userInfo().username}@${os.hostname()}`;
  } catch {
    return 'unknown';
  }
}

export const awsFlags = {
  region: Flags.string({
    description: 'AWS region (default: the runbook aws.region, then AWS_REGION).',
    helpGroup: 'AWS',
  }),
  profile: Flags.string({ description: 'Named AWS profile from your shared config.', helpGroup: 'AWS' }),
  'role-arn': Flags.string({
    description: 'Role to assume for every AWS call (act in another account).',
    helpGroup: 'AWS',
  }),
  'external-id': Flags.string({
    description: 'External id for --role-arn.',
    helpGroup: 'AWS',
    dependsOn: ['role-arn'],
  }),
  'endpoint-url': Flags.string({
    description: 'Send every AWS call to this endpoint (local emulators, tests); S3 uses path-style.',
    helpGroup: 'AWS',
  }),
  'max-attempts': Flags.integer({
    description: 'Attempts per AWS call (adaptive retry mode).',
    helpGroup: 'AWS',
    min: 1,
    max: 20,
  }),
};

/** Flags of the commands that run a runbook (exec, resume). */
export const runFlags = {
  answers: Flags.string({ description: 'YAML file of answers to manual steps: step-id: answer.' }),
  answer: Flags.string({ description: 'Answer one manual step: step-id=value (repeatable).', multiple: true }),
  yes: Flags.boolean({ char: 'y', description: 'Approve every change without asking (non-interactive runs).' }),
  approve: Flags.string({ description: 'Approve the change of one step (repeatable).', multiple: true }),
  json: Flags.boolean({ description: 'Stream events as JSON lines on stdout instead of the console view.' }),
  actor: Flags.string({ description: 'Who is running this (default: IRUN_ACTOR, then user@host).' }),
  'no-input': Flags.boolean({ description: 'Never prompt, even on a terminal: missing answers pause the run.' }),
  'run-dir': Flags.string({ description: 'Folder holding run records (default .irun/runs, or IRUN_RUN_DIR).' }),
  ...signFlags,
  ...awsFlags,
};

export function awsSettingsFromFlags(flags: Record<string, unknown>) {
  const out: Record<string, unknown> = {};
  if (flags.region) out.region = flags.region;
  if (flags.profile) out.profile = flags.profile;
  if (flags['role-arn']) out.roleArn = flags['role-arn'];
  if (flags['external-id']) out.externalId = flags['external-id'];
  if (flags['endpoint-url']) out.endpointUrl = flags['endpoint-url'];
  if (flags['max-attempts']) out.maxAttempts = flags['max-attempts'];
  return out;
}

/** Parse repeated `k=v` flags into an object ("a.b=c" is not nested: keys are flat). */
export function parsePairs(values: string[] | undefined, flag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values ?? []) {
    const i = v.indexOf('=');
    if (i <= 0) throw new IrunError(Codes.USAGE, `--${flag} expects key=value, got '${v}'`, { exit: ExitCode.USAGE });
    out[v.slice(0, i).trim()] = v.slice(i + 1);
  }
  return out;
}

export { safe };
