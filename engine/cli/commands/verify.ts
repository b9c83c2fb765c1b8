import { Args, Flags } from '@oclif/core';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ExitCode, IrunError } from '../../errors.js';
import { runsDir, verifyRun } from '../../run/store.js';
import { BaseCommand } from '../base.js';

export default class Verify extends BaseCommand {
  static override summary = "Check a run record: the journal's hash chain and every evidence file's sha256.";
  static override description = 'Exit 0 when intact, 1 naming the first line or file that was changed.';
  static override examples = ['<%= config.bin %> verify 20261130T030000Z-1a2b3c'];
  static override enableJsonFlag = true;
  static override args = { runId: Args.string({ description: 'The run id.', required: true }) };
  static override flags = {
    'run-dir': Flags.string({ description: 'Folder holding run records (default .irun/runs).' }),
  };

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(Verify);
    const dir = path.join(runsDir(flags['run-dir']), args.runId);
    if (!existsSync(dir))
      throw new IrunError('IRUN_RUN_NOT_FOUND', `no run '${args.runId}' in ${runsDir(flags['run-dir'])}`, {
        exit: ExitCode.FAILED,
      });
    const result = verifyRun(dir);
    if (!this.jsonEnabled()) {
      const c = this.color;
      for (const p of result.problems)
        this.log(
          `${p.kind === 'torn' ? c.yellow('warning') : c.red('error')} ${p.kind === 'torn' ? 'IRUN_JOURNAL_TORN' : p.kind === 'evidence' ? 'IRUN_EVIDENCE_TAMPERED' : 'IRUN_JOURNAL_TAMPERED'} ${p.message}`,
        );
      if (result.ok)
        this.log(
          `${c.green('✔')} run ${args.runId}: ${result.lines} journal lines and ${result.evidence} evidence files intact`,
        );
    }
    this.done(result.ok ? ExitCode.OK : ExitCode.FAILED);
    return result;
  }
}
