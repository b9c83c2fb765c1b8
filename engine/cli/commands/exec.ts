import { Args, Flags } from '@oclif/core';
import { BaseCommand, runFlags } from '../base.js';

export default class Exec extends BaseCommand {
  static override summary =
    'Run a runbook: walk through every step, call AWS where a step is automated, ask where it is not.';
  static override description = `Mutating actions need approval (interactive, --yes or --approve <step>). A manual step with no answer
pauses the run (exit 3) when there is no terminal. --dry-run runs read actions only and prints the plan
of every change a real run would make.`;
  static override examples = [
    '<%= config.bin %> exec s3-unintended-access.yaml --input bucket=my-bucket',
    '<%= config.bin %> exec runbooks/my-runbook.yaml --inputs inputs.yaml --answers answers.yaml --yes',
    '<%= config.bin %> exec s3-unintended-access.yaml --dry-run --input bucket=my-bucket',
    '<%= config.bin %> exec s3-unintended-access.yaml --scenario public-bucket-policy',
  ];
  static override args = {
    runbook: Args.string({ description: 'Runbook file, or the file name of a built-in runbook.', required: true }),
  };
  static override flags = {
    input: Flags.string({ char: 'i', description: 'Input value: name=value (repeatable).', multiple: true }),
    inputs: Flags.string({ description: 'YAML file of inputs: name: value.' }),
    'dry-run': Flags.boolean({
      description: 'Run read actions; record what mutating actions would change, change nothing.',
    }),
    'run-id': Flags.string({ description: 'Id for the new run (default: time-based).' }),
    scenario: Flags.string({
      char: 's',
      description:
        "Simulate: answer every action from this scenario (file, or name in the runbook's scenarios/ folder); nothing is sent to AWS.",
    }),
    ...runFlags,
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Exec);
    // The engine loads on demand, so that `irun --help` and `irun validate` stay light.
    const { execRun } = await import('../session.js');
    await execRun(args, flags);
  }
}
