import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../base.js';

export default class Test extends BaseCommand {
  static override summary = 'Rehearse runbooks: run each scenario in simulation and check its expectations.';
  static override description = `For every runbook under the paths (default ./runbooks), runs the scenarios in its scenarios/ folder:
inputs, answers, approvals and stubbed action results in; final status, path of steps, calls and outputs
checked. An action reached with no stub fails the scenario (local actions such as core.log and core.assert run
for real). Exit 1 when any scenario fails. --coverage lists what no scenario took; --min gates on it.`;
  static override examples = [
    '<%= config.bin %> test',
    '<%= config.bin %> test runbooks/s3-unintended-access.yaml',
    '<%= config.bin %> test runbooks/ --reporter junit > scenarios.xml',
    '<%= config.bin %> test --coverage --min 100',
  ];
  static override strict = false;
  static override args = {
    paths: Args.string({ description: 'Runbooks, scenario files or directories (default ./runbooks).' }),
  };
  static override flags = {
    reporter: Flags.string({
      char: 'r',
      description: 'Output format.',
      options: ['spec', 'json', 'junit'],
      default: 'spec',
    }),
    grep: Flags.string({ char: 'g', description: 'Only scenarios whose name contains this text.' }),
    coverage: Flags.boolean({
      description:
        'Report, per runbook, the steps and branch edges (if true/false, branch cases, onError, call returns) the scenarios took.',
    }),
    min: Flags.integer({
      description: "Fail (exit 1) when a runbook's coverage is under this percentage (implies --coverage).",
      min: 0,
      max: 100,
    }),
  };

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(Test);
    const { testRun } = await import('../test-run.js');
    await testRun(
      { log: (m) => this.log(m), warn: (m) => this.warn(m), done: (c) => this.done(c) },
      argv as string[],
      flags,
    );
  }
}
