import { Flags } from '@oclif/core';
import { listRuns, runsDir } from '../../run/store.js';
import { BaseCommand, safe } from '../base.js';

export default class Runs extends BaseCommand {
  static override summary = 'List recorded runs, newest first.';
  static override examples = [
    '<%= config.bin %> runs',
    '<%= config.bin %> runs --json',
    '<%= config.bin %> runs --run-dir /incidents/.irun/runs',
  ];
  static override enableJsonFlag = true;
  static override flags = {
    'run-dir': Flags.string({ description: 'Folder holding run records (default .irun/runs, or IRUN_RUN_DIR).' }),
  };

  async run(): Promise<unknown> {
    const { flags } = await this.parse(Runs);
    const runs = listRuns(runsDir(flags['run-dir']));
    if (!this.jsonEnabled()) {
      if (!runs.length) this.log('no runs recorded here yet (irun exec <runbook> starts one)');
      else {
        const rows = runs.map((r) => [
          r.runId,
          r.runbook.id,
          `${r.status}${r.simulated ? ' (sim)' : r.dryRun ? ' (dry-run)' : ''}`,
          r.startedAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z'),
          r.actor,
        ]);
        const head = ['RUN', 'RUNBOOK', 'STATUS', 'STARTED', 'ACTOR'];
        const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
        const fmt = (r: string[]) =>
          r
            .map((c, i) => safe(c).padEnd(widths[i]))
            .join('  ')
            .trimEnd();
        this.log(fmt(head));
        for (const r of rows) this.log(fmt(r));
      }
    }
    return runs;
  }
}
