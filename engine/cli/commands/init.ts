import { Args, Flags } from '@oclif/core';
import { BaseCommand, safe } from '../base.js';

export default class Init extends BaseCommand {
  static override summary = 'Copy a built-in runbook and its scenarios into your project to customize.';
  static override description = `Copies the runbook into ./runbooks (or --to) with its scenarios in scenarios/, and points their
yaml-language-server $schema lines at the installed schemas so your editor completes and checks them.
Existing files are never overwritten without --force. Without a name, lists the built-in runbooks.
Then: edit the copy, irun validate, irun test, irun graph.`;
  static override examples = [
    '<%= config.bin %> init',
    '<%= config.bin %> init s3-unintended-access',
    '<%= config.bin %> init s3-unintended-access --to ops/runbooks',
    '<%= config.bin %> init s3-unintended-access --force',
  ];
  static override enableJsonFlag = true;
  static override args = {
    name: Args.string({ description: 'Built-in runbook (file name or id); omit to list them.' }),
  };
  static override flags = {
    to: Flags.string({ description: 'Destination folder.', default: 'runbooks' }),
    force: Flags.boolean({ description: 'Overwrite existing files.' }),
  };

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(Init);
    const path = await import('node:path');
    const { initRunbook, listBuiltins } = await import('../../author/init.js');
    if (!args.name) {
      const list = listBuiltins().map((b) => ({
        name: b.name,
        id: b.id,
        title: b.title,
        scenarios: b.scenarios.length,
      }));
      if (!this.jsonEnabled()) {
        if (!list.length) this.log('no built-in runbooks in this installation');
        for (const b of list) this.log(`${b.name.padEnd(28)}  ${safe(b.title)} (${b.scenarios} scenarios)`);
        if (list.length) this.log(this.color.dim(`\ncopy one with: irun init ${list[0].id}`));
      }
      return list;
    }
    const result = initRunbook(args.name, { to: flags.to, force: flags.force });
    const rel = (f: string) => path.relative(process.cwd(), f) || f;
    if (!this.jsonEnabled()) {
      this.log(`copied ${rel(result.runbook)} and ${result.files.length - 1} scenarios (schema: ${result.schema})`);
      this.log(
        this.color.dim(
          `next: edit it, then\n  irun validate ${rel(result.runbook)}\n  irun test ${rel(result.runbook)}\n  irun graph ${rel(result.runbook)}`,
        ),
      );
    }
    return { runbook: rel(result.runbook), files: result.files.map((f) => rel(f.to)), schema: result.schema };
  }
}
