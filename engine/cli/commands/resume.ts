import { Args, Flags } from '@oclif/core';
import { existsSync } from 'node:fs';
import { Codes, ExitCode, IrunError } from '../../errors.js';
import type { Human } from '../../run/human.js';
import type { ScenarioSimulator } from '../../run/simulate.js';
import { readRunMeta, RunStore, runsDir } from '../../run/store.js';
import { awsSettingsFromFlags, BaseCommand, defaultActor, parsePairs, runFlags } from '../base.js';
import { signerFrom } from '../signing.js';
import { VERSION } from '../version.js';

export default class Resume extends BaseCommand {
  static override summary = 'Continue a run that is waiting for a human, failed at a step, or was interrupted.';
  static override description = `Rebuilds the run from its journal (inputs, outputs, vars, parts, call stack, forEach progress) and
continues. A step that started but never ended runs again; a mutating one needs approval again. A runbook
file that changed since the run began is refused unless --force.`;
  static override examples = [
    '<%= config.bin %> resume 20261130T030000Z-1a2b3c --answer intake=alert',
    '<%= config.bin %> resume 20261130T030000Z-1a2b3c --approve block-public-access',
    '<%= config.bin %> resume 20261130T030000Z-1a2b3c --answers answers.yaml --yes',
  ];
  static override args = { runId: Args.string({ description: 'The run id (see irun runs).', required: true }) };
  static override flags = {
    input: Flags.string({
      char: 'i',
      description: 'Give again an input marked secret (they are not kept in the journal): name=value.',
      multiple: true,
    }),
    force: Flags.boolean({ description: 'Resume even though the runbook file changed since the run began.' }),
    ...runFlags,
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Resume);
    const { loadScenario, ScenarioHuman, ScenarioSimulator } = await import('../../run/simulate.js');
    const { buildHuman, exitCodeOf, runWithStore } = await import('../session.js');
    const { loadForRun } = await import('../runbook.js');
    const signer = await signerFrom(flags['sign-key'], awsSettingsFromFlags(flags));
    const { store, journal } = RunStore.open(runsDir(flags['run-dir']), args.runId, { irunVersion: VERSION, signer });
    try {
      const start = journal.events.find((e) => e.type === 'run.start');
      if (!start || start.type !== 'run.start')
        throw new IrunError('IRUN_JOURNAL_CORRUPT', `run ${args.runId} has no run.start event`);
      if (journal.torn)
        process.stderr.write(
          `note: the journal's last line was torn by an interruption (${journal.torn.bytes} bytes); it was dropped\n`,
        );
      const file = start.runbook.file;
      if (!existsSync(file)) throw new IrunError(Codes.FILE_NOT_FOUND, `the runbook of this run, ${file}, is gone`);
      const ready = await loadForRun(file);
      if (ready.loaded.sha256 !== start.runbook.sha256 && !flags.force) {
        throw new IrunError(
          'IRUN_RUNBOOK_CHANGED',
          `${file} changed since run ${args.runId} began (sha256 ${start.runbook.sha256.slice(0, 12)}… → ${ready.loaded.sha256.slice(0, 12)}…)`,
          {
            exit: ExitCode.FAILED,
            suggestions: ['resume with --force to continue with the changed runbook'],
          },
        );
      }
      const actor = flags.actor ?? defaultActor();
      let scenarioHuman: Human | undefined;
      const inputs = parsePairs(flags.input, 'input');
      const aws = { ...(start.aws ?? {}), ...awsSettingsFromFlags(flags) };
      let simulator: ScenarioSimulator | undefined;
      if (start.simulated) {
        const scenario = readRunMeta(store.dir)?.scenario;
        if (!scenario)
          throw new IrunError(Codes.USAGE, 'this simulated run did not record its scenario; it cannot be resumed', {
            exit: ExitCode.FAILED,
          });
        simulator = new ScenarioSimulator(loadScenario(scenario));
        scenarioHuman = new ScenarioHuman(simulator.scenario);
      }
      const human = buildHuman(flags, actor, scenarioHuman);
      const result = await runWithStore({
        store,
        json: flags.json,
        doc: ready.doc,
        base: {
          doc: ready.doc,
          file,
          sha256: ready.loaded.sha256,
          registry: ready.registry,
          human,
          inputs,
          actor,
          aws,
          version: VERSION,
          history: journal.events,
          dryRun: start.dryRun,
          ...(simulator ? { simulator } : {}),
        },
      });
      this.done(exitCodeOf(result));
    } catch (err) {
      store.close();
      throw err;
    }
  }
}
