/** The registry: consistency of every built-in pack, lazy loading, third-party packs. */
import { expect } from 'chai';
import path from 'node:path';
import { compile } from '../../engine/schema/ajv.js';
import { builtinPacks, Registry } from '../../engine/plugins/registry.js';
import { manifestBeside, manifestOfModule } from '../../engine/plugins/manifest.js';
import { tempTree } from '../helpers/fs.js';
import { writeFileSync } from 'node:fs';

/** Write `<module>.manifest.json` beside each pack module, as `irun manifest` does for an author. */
async function withManifests(...files: string[]): Promise<void> {
  for (const f of files) writeFileSync(manifestBeside(f), JSON.stringify(await manifestOfModule(f)));
}

const PACK = (ns: string, extra = '') => `export default {
  namespace: '${ns}',
  actions: {
    hello: {
      description: 'Say hello',
      input: { type: 'object', properties: { name: { type: 'string' } }, additionalProperties: false },
      output: { type: 'object', properties: { text: { type: 'string' } } },
      effect: 'read',
      permissions: [],
      async run(_ctx, input) { return { text: 'hello ' + (input.name ?? 'you') }; },
    },${extra}
  },
};
`;

describe('registry', () => {
  it('every built-in action is complete: description, effect, permissions, schemas that compile strictly, a valid example', async () => {
    const registry = new Registry();
    const all = await registry.all();
    expect(all.length).to.be.greaterThan(60);
    expect(new Set(all.map((a) => a.namespace))).to.deep.equal(new Set(Object.keys((await builtinPacks()).packs)));
    const problems: string[] = [];
    for (const a of all) {
      if (!a.def.description || a.def.description.length < 10) problems.push(`${a.id}: description`);
      if (!['read', 'mutate'].includes(a.def.effect)) problems.push(`${a.id}: effect`);
      if (!Array.isArray(a.def.permissions)) problems.push(`${a.id}: permissions`);
      if (a.namespace.startsWith('aws.') && a.def.permissions.length === 0 && !/getCallerIdentity/.test(a.id))
        problems.push(`${a.id}: an AWS action with no IAM permission`);
      for (const p of a.def.permissions)
        if (!/^[a-z0-9-]+:[A-Za-z0-9*]+$/.test(p)) problems.push(`${a.id}: permission '${p}' is not service:Action`);
      expect(() => compile(a.def.input), `${a.id} input schema`).to.not.throw();
      expect(() => compile(a.def.output), `${a.id} output schema`).to.not.throw();
      if (a.def.example !== undefined && !a.validateInput(a.def.example).ok)
        problems.push(`${a.id}: example does not match its input schema (${a.validateInput(a.def.example).message})`);
      if (a.def.effect === 'mutate' && a.namespace.startsWith('aws.') && (!a.def.capture || !a.def.preview))
        problems.push(`${a.id}: a mutating AWS action needs capture and preview`);
    }
    expect(problems).to.deep.equal([]);
  });

  it('loads packs lazily, by namespace', async () => {
    const registry = new Registry();
    const core = await registry.get('core.noop');
    expect(core?.def.effect).to.equal('read');
    expect(await registry.get('core.nope')).to.equal(undefined);
    expect(await registry.get('nope.x')).to.equal(undefined);
  });

  it('suggests close action ids for a typo', async () => {
    const registry = new Registry();
    expect(await registry.suggest('aws.s3.putPublicAcessBlock')).to.include('aws.s3.putPublicAccessBlock');
    const err = await registry.require('core.nooop').catch((e: Error & { code: string }) => e);
    expect((err as { code: string }).code).to.equal('IRUN_UNKNOWN_ACTION');
    expect((err as Error).message).to.match(/did you mean 'core.noop'/);
  });

  it('loads a third-party pack from a relative path and from an npm package name', async () => {
    const t = tempTree({
      'packs/local.mjs': PACK('acme.local'),
      'node_modules/irun-pack-acme/package.json': JSON.stringify({
        name: 'irun-pack-acme',
        type: 'module',
        main: 'index.js',
        irun: { manifest: 'irun.manifest.json' },
      }),
      'node_modules/irun-pack-acme/index.js': PACK('acme.npm'),
    });
    try {
      await withManifests(t.file('packs/local.mjs'));
      writeFileSync(
        t.file('node_modules/irun-pack-acme/irun.manifest.json'),
        JSON.stringify(await manifestOfModule(t.file('node_modules/irun-pack-acme/index.js'))),
      );
      const registry = new Registry();
      await registry.loadPlugins(['./packs/local.mjs', 'irun-pack-acme'], t.dir);
      const local = await registry.require('acme.local.hello');
      const npm = await registry.require('acme.npm.hello');
      expect(local.origin).to.equal('./packs/local.mjs');
      expect(npm.origin).to.equal('irun-pack-acme');
      expect(await npm.def.run({} as never, { name: 'x' }, undefined)).to.deep.equal({ text: 'hello x' });
    } finally {
      t.cleanup();
    }
  });

  it('rejects a pack that is broken, with a code naming the action', async () => {
    const cases: [string, string, RegExp][] = [
      ['missing.mjs', '', /IRUN_PLUGIN_LOAD|not found/],
      ['shadow.mjs', PACK('aws.s3'), /built in/],
      [
        'badschema.mjs',
        PACK(
          'acme.bad',
          `\n    broken: { description: 'broken schema', input: { type: 'objekt' }, output: {}, effect: 'read', permissions: [], async run() { return {}; } },`,
        ),
        /acme\.bad\.broken.*input schema/,
      ],
      [
        'noeffect.mjs',
        PACK(
          'acme.eff',
          `\n    x: { description: 'no effect here', input: { type: 'object' }, output: {}, permissions: [], async run() { return {}; } },`,
        ),
        /acme\.eff\.x.*effect/,
      ],
    ];
    for (const [file, text, re] of cases) {
      const t = tempTree(text ? { [file]: text } : {});
      try {
        if (text) await withManifests(t.file(file));
        const registry = new Registry();
        const err = await (async () => {
          await registry.loadPlugins([`./${file}`], t.dir);
          const ns = /namespace: '([^']+)'/.exec(text)?.[1];
          if (ns) await registry.pack(ns);
        })().then(
          () => undefined,
          (e: Error & { code?: string }) => e,
        );
        expect(err, file).to.be.instanceOf(Error);
        expect(`${err!.code} ${err!.message}`, file).to.match(re);
        expect(err!.code, file).to.match(/^IRUN_PLUGIN_(LOAD|INVALID)$/);
      } finally {
        t.cleanup();
      }
    }
  });

  it('a runbook lists its own plugins, resolved from its folder', async () => {
    const t = tempTree({
      'rb/packs/p.mjs': PACK('acme.rb'),
      'rb/runbook.yaml':
        'irun: 1\nid: rb\ntitle: RB\nplugins: [./packs/p.mjs]\nparts:\n  - id: p\n    steps:\n      - { id: a, action: acme.rb.hello, with: { name: z } }\n',
    });
    try {
      await withManifests(t.file('rb/packs/p.mjs'));
      const { validatePaths } = await import('../../engine/validate/index.js');
      const [res] = await validatePaths([path.join(t.dir, 'rb/runbook.yaml')], {});
      expect(res.diagnostics).to.deep.equal([]);
    } finally {
      t.cleanup();
    }
  });
});
