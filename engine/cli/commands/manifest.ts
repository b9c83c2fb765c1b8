import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../base.js';

export default class Manifest extends BaseCommand {
  static override summary =
    "Write the manifest of an action pack: its actions' schemas, effect and permissions as data.";
  static override description = `irun validate, actions, schema, docs and permissions read a third-party pack's manifest and never import
its code; exec, resume, undo and test import the code and refuse it when it no longer matches the manifest.
Run this after every change to a pack (it imports the module), and ship the file with it: beside the module
as <module>.manifest.json (the default --out), or named in the pack's package.json as "irun": { "manifest": "..." }.`;
  static override examples = [
    '<%= config.bin %> manifest packs/ticketing.js',
    '<%= config.bin %> manifest dist/index.js --out irun.manifest.json',
  ];
  static override enableJsonFlag = true;
  static override args = {
    module: Args.string({ description: 'The pack module (its default export is definePlugin(...)).', required: true }),
  };
  static override flags = {
    out: Flags.string({ char: 'o', description: 'Manifest file to write (default: <module>.manifest.json).' }),
  };

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(Manifest);
    const { manifestBeside, manifestOfModule } = await import('../../plugins/manifest.js');
    const { writeOut } = await import('../authoring.js');
    const manifest = await manifestOfModule(args.module);
    const out = flags.out ?? manifestBeside(args.module);
    writeOut(out, `${JSON.stringify(manifest, null, 2)}\n`);
    if (!this.jsonEnabled())
      this.log(`wrote ${out} (${manifest.namespace}: ${Object.keys(manifest.actions).length} actions)`);
    return { file: out, namespace: manifest.namespace, actions: Object.keys(manifest.actions) };
  }
}
