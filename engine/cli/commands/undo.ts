import { Args, Flags } from '@oclif/core';
import { existsSync } from 'node:fs';
import { Codes, ExitCode, IrunError } from '../../errors.js';
import { RunStore, runsDir } from '../../run/store.js';
import { awsFlags, awsSettingsFromFlags, BaseCommand, defaultActor, safe } from '../base.js';
import { commandAgain } from '../hint.js';
import { signerFrom, signFlags } from '../signing.js';
import { VERSION } from '../version.js';

export default class Undo extends BaseCommand {
  static override summary = 'Revert the changes a run made, newest first, from the before-state it recorded.';
  static override description = `Each undo is approved (prompt, --yes or --approve <step>) and recorded in the run's journal. A change
that cannot be reverted (versioning can be suspended but never removed; a webhook call cannot be taken
back) is refused with the reason. Undo stops at the first failure, because older changes may depend on
newer ones being reverted first (Block Public Access before a bucket policy).`;
  static override examples = [
    '<%= config.bin %> undo 20261130T030000Z-1a2b3c --list',
    '<%= config.bin %> undo 20261130T030000Z-1a2b3c --step block-public-access',
    '<%= config.bin %> undo 20261130T030000Z-1a2b3c --yes',
  ];
  static override args = { runId: Args.string({ description: 'The run id.', required: true }) };
  static override flags = {
    step: Flags.string({ description: 'Only undo the change of this step (repeatable).', multiple: true }),
    ...signFlags,
    list: Flags.boolean({ description: 'List what would be undone, change nothing.' }),
    yes: Flags.boolean({ char: 'y', description: 'Approve every undo without asking.' }),
    approve: Flags.string({ description: 'Approve the undo of one step (repeatable).', multiple: true }),
    actor: Flags.string({ description: 'Who is undoing (default: IRUN_ACTOR, then user@host).' }),
    'run-dir': Flags.string({ description: 'Folder holding run records (default .irun/runs).' }),
    'no-input': Flags.boolean({ description: 'Never prompt.' }),
    ...awsFlags,
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Undo);
    const { loadRunbookFile } = await import('../../load/index.js');
    const { Registry } = await import('../../plugins/registry.js');
    const { undoableChanges, undoRun } = await import('../../run/undo.js');
    const { buildHuman } = await import('../session.js');
    const signer = await signerFrom(flags['sign-key'], awsSettingsFromFlags(flags));
    const { store, journal } = RunStore.open(runsDir(flags['run-dir']), args.runId, { irunVersion: VERSION, signer });
    try {
      const start = journal.events.find((e) => e.type === 'run.start');
      if (!start || start.type !== 'run.start')
        throw new IrunError('IRUN_JOURNAL_CORRUPT', `run ${args.runId} has no run.start event`);
      if (start.simulated || start.dryRun) {
        throw new IrunError(
          Codes.USAGE,
          `run ${args.runId} was a ${start.simulated ? 'simulation' : 'dry-run'}: it changed nothing, so there is nothing to undo`,
          { exit: ExitCode.FAILED },
        );
      }
      const items = undoableChanges(journal.events).filter((i) => !flags.step?.length || flags.step.includes(i.step));
      if (flags.list || items.length === 0) {
        if (items.length === 0) this.log('nothing to undo: no recorded change is left in this run');
        for (const i of items)
          this.log(
            `${i.reversible === true ? '↶' : '✖'} ${i.step}${i.index !== undefined ? `#${i.index}` : ''}  ${i.action}${i.reversible === true ? '' : `  (cannot be undone: ${safe(i.reversible)})`}`,
          );
        this.done(items.length === 0 && flags.step?.length ? ExitCode.FAILED : ExitCode.OK);
        return;
      }
      const registry = new Registry();
      if (existsSync(start.runbook.file)) {
        const loaded = await loadRunbookFile(start.runbook.file);
        if (loaded.doc?.plugins?.length)
          await registry.loadPlugins(loaded.doc.plugins, (await import('node:path')).dirname(start.runbook.file));
      }
      const actor = flags.actor ?? defaultActor();
      const human = buildHuman({ yes: flags.yes, approve: flags.approve, 'no-input': flags['no-input'] }, actor);
      const journalOut = store.listener();
      const summary = await undoRun({
        events: journal.events,
        registry,
        human,
        actor,
        runId: args.runId,
        aws: { ...((start.aws as object) ?? {}), ...awsSettingsFromFlags(flags) },
        version: VERSION,
        evidenceFor: (s) => store.evidenceFor(s),
        emit: (e) => journalOut(e),
        ...(flags.step?.length ? { steps: flags.step } : {}),
      });
      const c = this.color;
      for (const s of summary.completed) this.log(`${c.green('↶')} undone: ${s}`);
      for (const s of summary.declined) this.log(`${c.yellow('○')} declined: ${s}`);
      for (const r of summary.refused) this.log(`${c.yellow('✖')} cannot undo ${r.step}: ${safe(r.reason)}`);
      if (summary.failed)
        this.log(
          `${c.red('✖')} undo of ${summary.failed.step} failed: ${safe(summary.failed.message)}\n  stopped: older changes stay in place until this one is reverted`,
        );
      if (summary.waitingFor) {
        const step = summary.waitingFor.replace(/#\d+$/, '');
        this.log(
          `${c.yellow('⏸')} undo of ${summary.waitingFor} needs approval. To continue:\n    ${commandAgain('undo', this.argv, ['--approve', step])}\n  or approve every undo this command selects:\n    ${commandAgain('undo', this.argv, ['--yes'])}`,
        );
        this.done(ExitCode.WAITING);
        return;
      }
      this.done(summary.failed || summary.refused.length ? ExitCode.FAILED : ExitCode.OK);
    } finally {
      try {
        await store.settle();
      } finally {
        store.close();
      }
    }
  }
}
