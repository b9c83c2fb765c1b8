import { Flags } from '@oclif/core';
import { BaseCommand } from '../base.js';

export default class Schema extends BaseCommand {
  static override summary = 'Print the runbook JSON schema enriched with the inputs of every installed action.';
  static override description = `Editors that read JSON schemas (VS Code with the YAML extension, any yaml-language-server client)
then complete action ids and check each step's with: against that action's inputs. The file shipped as
schemas/runbook.schema.json is the core schema without actions; point the $schema line of a runbook at
the generated file to get per-action completion. Actions of plugins listed in irun.config.yaml are included.`;
  static override examples = [
    '<%= config.bin %> schema --out .irun/runbook.schema.json',
    '# then, first line of a runbook:\n# yaml-language-server: $schema=../.irun/runbook.schema.json',
  ];
  static override enableJsonFlag = true;
  static override flags = {
    out: Flags.string({ char: 'o', description: 'Write the schema to this file instead of stdout.' }),
  };

  async run(): Promise<unknown> {
    const { flags } = await this.parse(Schema);
    const { writeOut } = await import('../authoring.js');
    const { configPlugins } = await import('../runbook.js');
    const { Registry } = await import('../../plugins/registry.js');
    const { runbookSchema } = await import('../../validate/schema.js');
    const { actionInfo } = await import('../../report/actions.js');
    const { enrichRunbookSchema } = await import('../../report/schema.js');
    const registry = new Registry();
    const cfg = await configPlugins();
    if (cfg?.plugins.length) await registry.loadPlugins(cfg.plugins, cfg.dir);
    const actions = (await registry.all()).map(actionInfo);
    const schema = enrichRunbookSchema(runbookSchema(), actions);
    const written = writeOut(flags.out, `${JSON.stringify(schema, null, 2)}\n`);
    if (!this.jsonEnabled()) {
      if (written) this.logToStderr(`wrote ${flags.out} (${actions.length} actions)`);
      else process.stdout.write(`${JSON.stringify(schema, null, 2)}\n`);
    }
    return schema;
  }
}
