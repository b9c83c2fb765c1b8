import { Args, Flags } from '@oclif/core';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ExitCode, IrunError } from '../../errors.js';
import { loadRunbookFile } from '../../load/index.js';
import { readJournal, readRunMeta, runsDir } from '../../run/store.js';
import { BaseCommand, safe } from '../base.js';

export default class Show extends BaseCommand {
  static override summary = 'Show a run: its status, progress, and what it is waiting for.';
  static override examples = [
    '<%= config.bin %> show 20261130T030000Z-1a2b3c',
    '<%= config.bin %> show 20261130T030000Z-1a2b3c --json',
  ];
  static override enableJsonFlag = true;
  static override args = { runId: Args.string({ description: 'The run id.', required: true }) };
  static override flags = {
    'run-dir': Flags.string({ description: 'Folder holding run records (default .irun/runs).' }),
  };

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(Show);
    const dir = path.join(runsDir(flags['run-dir']), args.runId);
    if (!existsSync(path.join(dir, 'journal.jsonl')))
      throw new IrunError('IRUN_RUN_NOT_FOUND', `no run '${args.runId}' in ${runsDir(flags['run-dir'])}`, {
        exit: ExitCode.FAILED,
      });
    const meta = readRunMeta(dir);
    const journal = readJournal(path.join(dir, 'journal.jsonl'));
    const ended = new Map<string, string>();
    let lastPart: string | undefined;
    const changes: string[] = [];
    for (const e of journal.events) {
      if (e.type === 'step.end') {
        ended.set(e.step, e.status);
        if (e.plan && e.status !== 'skipped') changes.push(`${e.step}: ${e.plan.summary}`);
      }
      if (e.type === 'part.start') lastPart = e.part;
    }
    let total: number | undefined;
    let waitingInstructions: string | undefined;
    const file = meta?.runbook.file;
    if (file && existsSync(file)) {
      const loaded = await loadRunbookFile(file);
      const doc = loaded.doc;
      if (doc) {
        total = doc.parts.reduce((n, p) => n + p.steps.length, 0);
        const w = meta?.waiting?.step;
        const step = w ? doc.parts.flatMap((p) => p.steps).find((s) => s.id === w) : undefined;
        waitingInstructions = step?.manual?.instructions;
      }
    }
    const counts: Record<string, number> = {};
    for (const s of ended.values()) counts[s] = (counts[s] ?? 0) + 1;
    const info = {
      runId: args.runId,
      status: meta?.status ?? 'unknown',
      outcome: meta?.outcome,
      runbook: meta?.runbook,
      actor: meta?.actor,
      startedAt: meta?.startedAt,
      endedAt: meta?.endedAt,
      simulated: meta?.simulated,
      dryRun: meta?.dryRun,
      steps: { ...counts, distinct: ended.size, total },
      currentPart: lastPart,
      waiting: meta?.waiting,
      changes,
      torn: journal.torn,
    };
    if (!this.jsonEnabled()) {
      const c = this.color;
      this.log(
        `${c.bold(`run ${args.runId}`)}  ${safe(meta?.runbook.title ?? '')} ${c.dim(`(${meta?.runbook.id ?? '?'})`)}${meta?.simulated ? c.magenta(' [SIMULATION]') : meta?.dryRun ? c.yellow(' [DRY-RUN]') : ''}`,
      );
      this.log(`status    ${info.status}${info.outcome && info.outcome !== info.status ? ` (${info.outcome})` : ''}`);
      this.log(
        `started   ${info.startedAt ?? '?'} by ${safe(info.actor ?? '?')}${info.endedAt ? `, ended ${info.endedAt}` : ''}`,
      );
      this.log(
        `progress  ${ended.size}${total ? ` of ${total}` : ''} steps reached · ${
          Object.entries(counts)
            .map(([k, v]) => `${v} ${k}`)
            .join(', ') || 'none yet'
        }${lastPart ? ` · in part ${lastPart}` : ''}`,
      );
      if (changes.length) this.log(`changes   ${changes.map((x) => safe(x)).join('\n          ')}`);
      if (meta?.waiting) {
        const w = meta.waiting;
        this.log(
          `\n${c.yellow('waiting')} at step ${w.step} for ${w.reason === 'answer' ? 'an answer' : 'approval'}: ${safe(w.message)}`,
        );
        if (waitingInstructions) this.log(safe(waitingInstructions.trim(), true).replace(/^/gm, '  '));
        this.log(
          `\n  irun resume ${args.runId} ${w.reason === 'answer' ? `--answer ${w.step}=<value>` : `--approve ${w.step}`}`,
        );
      } else if (info.status === 'failed') {
        this.log(`\n  ${safe(meta?.message ?? '')}\n  after fixing the cause: irun resume ${args.runId}`);
      }
      if (journal.torn)
        this.log(c.yellow(`note: the journal's last line is torn (interrupted write); irun resume repairs it`));
    }
    return info;
  }
}
