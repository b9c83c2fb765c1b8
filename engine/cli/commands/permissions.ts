import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../base.js';

export default class Permissions extends BaseCommand {
  static override summary = 'Print the least-privilege IAM policy a runbook needs.';
  static override description = `Collects the IAM actions declared by every action the runbook can reach (forEach bodies included)
into a policy document, each statement limited to the resources the runbook names: bucket and object ARNs,
user and role ARNs. A resource given as an input appears as \${name} (pass --input name=value to fill it in);
"*" stays only where IAM requires it or the resource is found at run time, and the reasons are printed.
--read-only prints the investigation policy: no action that changes AWS and no IAM write permission.
--role-arn adds sts:AssumeRole on the role irun will assume. The output is ready for aws iam create-policy.`;
  static override examples = [
    '<%= config.bin %> permissions s3-unintended-access.yaml',
    '<%= config.bin %> permissions s3-unintended-access.yaml --input bucket=my-bucket --role-arn arn:aws:iam::111122223333:role/ir',
    '<%= config.bin %> permissions runbooks/s3-unintended-access.yaml --read-only --out investigate.json',
    'aws iam create-policy --policy-name irun-s3-ir --policy-document "$(<%= config.bin %> permissions s3-unintended-access.yaml --input bucket=my-bucket)"',
  ];
  static override enableJsonFlag = true;
  static override args = {
    runbook: Args.string({ description: 'Runbook file, or the file name of a built-in runbook.', required: true }),
  };
  static override flags = {
    'read-only': Flags.boolean({
      description: 'Only what investigation needs: no action that changes AWS, no IAM write permission.',
    }),
    'role-arn': Flags.string({ description: 'The role irun assumes: adds sts:AssumeRole on it.' }),
    input: Flags.string({
      char: 'i',
      description: 'Input value for the ARNs: name=value (repeatable).',
      multiple: true,
    }),
    out: Flags.string({ char: 'o', description: 'Write the policy to this file instead of stdout.' }),
  };

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(Permissions);
    const { loadValidRunbook, writeOut } = await import('../authoring.js');
    const { buildPermissions } = await import('../../report/permissions.js');
    const { Codes, ExitCode, IrunError } = await import('../../errors.js');
    const inputs: Record<string, string> = {};
    for (const pair of flags.input ?? []) {
      const i = pair.indexOf('=');
      if (i <= 0) throw new IrunError(Codes.USAGE, `--input ${pair}: expected name=value`, { exit: ExitCode.USAGE });
      inputs[pair.slice(0, i)] = pair.slice(i + 1);
    }
    const { doc, registry } = await loadValidRunbook(args.runbook);
    const report = await buildPermissions(doc, registry, {
      readOnly: flags['read-only'],
      ...(flags['role-arn'] ? { roleArn: flags['role-arn'] } : {}),
      inputs,
    });
    const text = `${JSON.stringify(report.policy, null, 2)}\n`;
    const written = writeOut(flags.out, text);
    if (!this.jsonEnabled()) {
      if (!written) process.stdout.write(text);
      const n = new Set(report.policy.Statement.flatMap((s) => s.Action)).size;
      this.logToStderr(
        `${written ? `wrote ${flags.out}: ` : ''}${n} IAM actions for ${report.actions.length} irun actions${flags['read-only'] ? ' (read only)' : ''}`,
      );
      for (const note of report.notes) this.logToStderr(`note: ${note.permission} on ${note.resource}: ${note.note}`);
      for (const x of report.excluded) this.logToStderr(`left out: ${x.permission}: ${x.reason}`);
      if (!report.policy.Statement.length)
        this.logToStderr('note: this runbook calls no AWS action; the policy has no statement');
    }
    // --json prints the policy document itself, so both forms can be piped to aws iam create-policy
    return report.policy;
  }
}
