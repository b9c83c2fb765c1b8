import { Args, Flags } from '@oclif/core';
import { hasErrors } from '../../diagnostics.js';
import { ExitCode } from '../../errors.js';
import { colorEnabled } from '../../report/text.js';
import { BaseCommand } from '../base.js';

export default class Validate extends BaseCommand {
  static override summary = 'Check runbooks: YAML, schema, action inputs, flow and template references.';
  static override description = `Validates files and directories (default ./runbooks). Every problem is reported with a code and a
position; nothing is run and no AWS SDK is loaded. Exit 0 when clean, 1 on errors (or warnings with --strict),
2 on usage errors.`;
  static override examples = [
    '<%= config.bin %> validate',
    '<%= config.bin %> validate runbooks/s3-unintended-access.yaml --strict',
    '<%= config.bin %> validate runbooks/ --format github',
    '<%= config.bin %> validate runbooks/ --format junit > validate.xml',
  ];
  static override strict = false;
  static override args = {
    paths: Args.string({ description: 'Runbook files or directories (default: ./runbooks).' }),
  };
  static override flags = {
    format: Flags.string({
      char: 'f',
      description: 'Output format.',
      options: ['stylish', 'json', 'github', 'junit', 'sarif'],
      default: 'stylish',
    }),
    strict: Flags.boolean({ description: 'Treat warnings as errors (exit 1).' }),
    quiet: Flags.boolean({ char: 'q', description: 'Report errors only.' }),
  };

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(Validate);
    const paths = (argv as string[]).length ? (argv as string[]) : ['runbooks'];
    const { validatePaths } = await import('../../validate/index.js');
    const { formatDiagnostics } = await import('../../validate/format.js');
    const results = await validatePaths(paths, { cwd: process.cwd() });
    const shown = flags.quiet
      ? results.map((r) => ({ ...r, diagnostics: r.diagnostics.filter((d) => d.severity === 'error') }))
      : results;
    const text = formatDiagnostics(shown, flags.format as 'stylish', {
      color: flags.format === 'stylish' && colorEnabled(process.stdout),
    });
    if (text) process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
    const failed = results.some((r) => hasErrors(r.diagnostics, flags.strict));
    this.done(failed ? ExitCode.FAILED : ExitCode.OK);
  }
}
