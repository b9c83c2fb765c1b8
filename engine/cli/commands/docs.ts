import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../base.js';

export default class Docs extends BaseCommand {
  static override summary = 'Write a runbook as a Markdown procedure (for a wiki or a printed binder).';
  static override description = `The procedure a responder could follow on paper: inputs, each part as a section, numbered steps with
their source refs, manual instructions and checklists, what each automated step does and with which
inputs, which steps need approval, and the flow in words ("If …, go to …", "Run Part 2, then come back").
Templates are shown as written. Commit the output next to the runbook and regenerate it in CI to catch drift.`;
  static override examples = [
    '<%= config.bin %> docs s3-unintended-access.yaml',
    '<%= config.bin %> docs runbooks/s3-unintended-access.yaml --out docs/runbooks/s3-unintended-access.md',
  ];
  static override enableJsonFlag = true;
  static override args = {
    runbook: Args.string({ description: 'Runbook file, or the file name of a built-in runbook.', required: true }),
  };
  static override flags = {
    out: Flags.string({ char: 'o', description: 'Write the Markdown to this file instead of stdout.' }),
  };

  async run(): Promise<{ markdown: string; file?: string }> {
    const { args, flags } = await this.parse(Docs);
    const path = await import('node:path');
    const { loadValidRunbook, writeOut } = await import('../authoring.js');
    const { actionsOf } = await import('../../report/actions.js');
    const { renderDocs } = await import('../../report/docs.js');
    const { doc, registry, file } = await loadValidRunbook(args.runbook);
    const markdown = renderDocs(doc, { actions: await actionsOf(doc, registry), file: path.basename(file) });
    const written = writeOut(flags.out, markdown);
    if (!this.jsonEnabled()) {
      if (written) this.logToStderr(`wrote ${flags.out}`);
      else process.stdout.write(markdown);
    }
    return { markdown, ...(written ? { file: flags.out } : {}) };
  }
}
