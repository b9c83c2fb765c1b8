import { Args, Flags } from '@oclif/core';
import { BaseCommand, safe } from '../base.js';

export default class Actions extends BaseCommand {
  static override summary = 'List the available actions, or describe one with its input and output.';
  static override description = `Without an id: every action of every installed pack (and of plugins listed in irun.config.yaml) with
its effect (read, or mutate: changes AWS and needs approval), the IAM permissions it needs and what it does.
With an id: its input and output fields (name, type, required, description), permissions and an example.`;
  static override examples = [
    '<%= config.bin %> actions',
    '<%= config.bin %> actions --namespace aws.s3',
    '<%= config.bin %> actions aws.s3.putPublicAccessBlock',
    '<%= config.bin %> actions aws.iam.updateAccessKey --json',
  ];
  static override enableJsonFlag = true;
  static override args = {
    id: Args.string({ description: 'An action id (namespace.name), e.g. aws.s3.getBucketPolicy.' }),
  };
  static override flags = {
    namespace: Flags.string({ char: 'n', description: 'Only actions of this namespace (e.g. aws.s3).' }),
  };

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(Actions);
    const { Registry } = await import('../../plugins/registry.js');
    const { configPlugins } = await import('../runbook.js');
    const { actionInfo, schemaRows } = await import('../../report/actions.js');
    const registry = new Registry();
    const cfg = await configPlugins();
    if (cfg?.plugins.length) await registry.loadPlugins(cfg.plugins, cfg.dir);
    const c = this.color;

    if (args.id) {
      const info = actionInfo(await registry.require(args.id));
      const input = schemaRows(info.input);
      const output = schemaRows(info.output);
      if (!this.jsonEnabled()) {
        this.log(
          `${c.bold(info.id)}  ${info.effect === 'mutate' ? c.red('mutate (changes AWS, needs approval)') : c.green('read')}${info.undo ? c.dim('  · undo supported') : ''}`,
        );
        if (info.title) this.log(safe(info.title));
        this.log('');
        this.log(safe(info.description, true));
        if (info.docsUrl) this.log(c.dim(`docs: ${safe(info.docsUrl)}`));
        this.log('');
        this.log(c.bold('Permissions'));
        this.log(info.permissions.length ? info.permissions.map((p) => `  ${p}`).join('\n') : '  (none)');
        for (const [title, rows] of [
          ['Input', input],
          ['Output', output],
        ] as const) {
          this.log('');
          this.log(c.bold(title));
          this.log(
            rows.length
              ? table(
                  ['FIELD', 'TYPE', 'REQUIRED', 'DESCRIPTION'],
                  rows.map((r) => [r.property, r.type, r.required ? 'yes' : '', r.description]),
                )
              : '  (no fields)',
          );
        }
        if (info.example !== undefined) {
          this.log('');
          this.log(c.bold('Example'));
          this.log(`  - id: my-step\n    action: ${info.id}\n    with: ${safe(JSON.stringify(info.example))}`);
        }
      }
      const { input: inSchema, output: outSchema, ...rest } = info;
      return { ...rest, input: { fields: input, schema: inSchema }, output: { fields: output, schema: outSchema } };
    }

    let all = (await registry.all()).map(actionInfo);
    if (flags.namespace) {
      all = all.filter((a) => a.namespace === flags.namespace);
      if (!all.length) {
        const { Codes, ExitCode, IrunError } = await import('../../errors.js');
        throw new IrunError(Codes.UNKNOWN_ACTION, `no action pack with namespace '${flags.namespace}'`, {
          exit: ExitCode.FAILED,
          suggestions: [`namespaces: ${(await registry.namespaces()).join(', ')}`],
        });
      }
    }
    const list = all.map((a) => ({
      id: a.id,
      namespace: a.namespace,
      action: a.name,
      effect: a.effect,
      permissions: a.permissions,
      title: a.title,
      description: a.description,
    }));
    if (!this.jsonEnabled()) {
      this.log(
        table(
          ['NAMESPACE', 'ACTION', 'EFFECT', 'PERMISSIONS', 'DESCRIPTION'],
          list.map((a) => [a.namespace, a.action, a.effect, a.permissions.join(', ') || '-', a.title ?? a.description]),
        ),
      );
      this.log(c.dim(`\n${list.length} actions. Details: irun actions <namespace.action>`));
    }
    return list;
  }
}

/** A plain text table; long last columns are kept (terminals wrap), other cells are cut. */
function table(head: string[], rows: string[][]): string {
  const cut = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
  const cells = rows.map((r) => r.map((x, i) => (i === r.length - 1 ? safe(x) : cut(safe(x), i === 3 ? 60 : 48))));
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i].length)));
  const fmt = (r: string[]) =>
    `  ${r.map((x, i) => (i === r.length - 1 ? x : x.padEnd(widths[i]))).join('  ')}`.trimEnd();
  return [fmt(head), ...cells.map(fmt)].join('\n');
}
