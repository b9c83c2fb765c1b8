import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../base.js';

export default class Permissions extends BaseCommand {
  static override summary = 'Print the least-privilege IAM policy a runbook needs.';
  static override description = `Collects the IAM actions declared by every action the runbook can reach (forEach bodies included)
into a policy document: one statement for reads, one for changes, Resource "*". --read-only prints the
investigation-only policy (reads only). The output is ready for aws iam create-policy.`;
  static override examples = [
    '<%= config.bin %> permissions s3-unintended-access.yaml',
    '<%= config.bin %> permissions runbooks/s3-unintended-access.yaml --read-only --out investigate.json',
    'aws iam create-policy --policy-name irun-s3-ir --policy-document "$(<%= config.bin %> permissions s3-unintended-access.yaml)"',
  ];
  static override enableJsonFlag = true;
  static override args = {
    runbook: Args.string({ description: 'Runbook file, or the file name of a built-in runbook.', required: true }),
  };
  static override flags = {
    'read-only': Flags.boolean({
      description: 'Only the permissions of read actions (investigation without changes).',
    }),
    out: Flags.string({ char: 'o', description: 'Write the policy to this file instead of stdout.' }),
  };

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(Permissions);
    const { loadValidRunbook, writeOut } = await import('../authoring.js');
    const { buildPermissions } = await import('../../report/permissions.js');
    const { doc, registry } = await loadValidRunbook(args.runbook);
    const report = await buildPermissions(doc, registry, { readOnly: flags['read-only'] });
    const text = `${JSON.stringify(report.policy, null, 2)}\n`;
    const written = writeOut(flags.out, text);
    if (!this.jsonEnabled()) {
      if (!written) process.stdout.write(text);
      const n = report.policy.Statement.reduce((k, s) => k + s.Action.length, 0);
      this.logToStderr(
        `${written ? `wrote ${flags.out}: ` : ''}${n} IAM actions for ${report.actions.length} irun actions${flags['read-only'] ? ' (read only)' : ''}`,
      );
      if (!report.policy.Statement.length)
        this.logToStderr('note: this runbook calls no AWS action; the policy has no statement');
    }
    // --json prints the policy document itself, so both forms can be piped to aws iam create-policy
    return report.policy;
  }
}
