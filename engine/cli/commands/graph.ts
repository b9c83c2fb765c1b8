import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../base.js';

export default class Graph extends BaseCommand {
  static override summary = 'Draw a runbook as a flowchart (Mermaid or Graphviz DOT).';
  static override description = `Parts become subgraphs, steps are labelled with their ref, title and id. Manual steps, reads and
changes (mutating actions, which need approval) have different shapes and colours; conditional edges
carry their condition, calls and returns are dashed, and edges that close a loop are bold.
Paste Mermaid into a Markdown file (GitHub renders it) or render DOT with Graphviz.`;
  static override examples = [
    '<%= config.bin %> graph runbooks/s3-unintended-access.yaml',
    '<%= config.bin %> graph s3-unintended-access.yaml --format dot --out flow.dot && dot -Tsvg flow.dot > flow.svg',
    '<%= config.bin %> graph runbooks/my-runbook.yaml --out docs/my-runbook.mmd',
  ];
  static override enableJsonFlag = true;
  static override args = {
    runbook: Args.string({ description: 'Runbook file, or the file name of a built-in runbook.', required: true }),
  };
  static override flags = {
    format: Flags.string({
      char: 'f',
      description: 'Diagram language.',
      options: ['mermaid', 'dot'],
      default: 'mermaid',
    }),
    out: Flags.string({ char: 'o', description: 'Write the diagram to this file instead of stdout.' }),
  };

  async run(): Promise<{ format: string; text: string; file?: string }> {
    const { args, flags } = await this.parse(Graph);
    const { loadValidRunbook, writeOut } = await import('../authoring.js');
    const { actionsOf } = await import('../../report/actions.js');
    const { renderGraph } = await import('../../report/graph.js');
    const { doc, registry } = await loadValidRunbook(args.runbook);
    const infos = await actionsOf(doc, registry);
    const format = flags.format as 'mermaid' | 'dot';
    const text = renderGraph(doc, { format, effects: new Map([...infos].map(([id, a]) => [id, a.effect])) });
    const written = writeOut(flags.out, text);
    if (!this.jsonEnabled()) {
      if (written) this.logToStderr(`wrote ${flags.out}`);
      else process.stdout.write(text);
    }
    return { format, text, ...(written ? { file: flags.out } : {}) };
  }
}
