/** Pack manifests: validation reads data only; code is imported to run, and must match its manifest. */
import { expect } from 'chai';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { discoverPacks, manifestBeside, manifestOfModule } from '../../engine/plugins/manifest.js';
import { BUILTIN_MANIFEST, Registry } from '../../engine/plugins/registry.js';
import { validatePaths } from '../../engine/validate/index.js';
import { PACKAGE_ROOT } from '../../engine/util/paths.js';
import { tempTree } from '../helpers/fs.js';

const PACK = (marker: string, effect = 'read') => `import { writeFileSync } from 'node:fs';
writeFileSync(${JSON.stringify(marker)}, 'imported');
export default {
  namespace: 'acme.side',
  actions: {
    hello: {
      description: 'Say hello',
      input: { type: 'object', properties: { name: { type: 'string' } }, additionalProperties: false },
      output: { type: 'object', properties: { text: { type: 'string' } } },
      effect: '${effect}',
      permissions: [],
      async run(_ctx, input) { return { text: 'hello ' + (input.name ?? 'you') }; },
    },
  },
};
`;

const RUNBOOK = (plugin: string) =>
  `irun: 1\nid: rb\ntitle: RB\nplugins: [${JSON.stringify(plugin)}]\nparts:\n  - id: p\n    steps:\n      - { id: a, action: acme.side.hello, with: { name: z } }\n`;

describe('pack manifests', () => {
  it('validate reads a pack from its manifest and never imports its module', async () => {
    const t = tempTree({ 'rb/runbook.yaml': RUNBOOK('./pack.mjs') });
    try {
      const marker = t.file('imported.txt');
      writeFileSync(t.file('rb/pack.mjs'), PACK(marker));
      // the author's step runs the code (of a copy here: ES modules are imported once per process)
      writeFileSync(t.file('copy.mjs'), PACK(t.file('copy-imported.txt')));
      writeFileSync(manifestBeside(t.file('rb/pack.mjs')), JSON.stringify(await manifestOfModule(t.file('copy.mjs'))));

      const [res] = await validatePaths([t.file('rb/runbook.yaml')]);
      expect(res.diagnostics).to.deep.equal([]);
      expect(existsSync(marker), 'the module ran during validate').to.equal(false);

      // running an action imports it
      const registry = new Registry();
      await registry.loadPlugins(['./pack.mjs'], t.file('rb'));
      const action = await registry.require('acme.side.hello');
      expect(action.def.effect).to.equal('read');
      expect(existsSync(marker)).to.equal(false);
      expect(await action.def.run({} as never, { name: 'x' }, undefined)).to.deep.equal({ text: 'hello x' });
      expect(existsSync(marker)).to.equal(true);
    } finally {
      t.cleanup();
    }
  });

  it('a plugin that is a device or has no manifest is a diagnostic, read without opening the module', async () => {
    const t = tempTree({ 'a.yaml': RUNBOOK('/dev/zero'), 'b.yaml': RUNBOOK('./nomanifest.mjs') });
    try {
      writeFileSync(t.file('nomanifest.mjs'), PACK(t.file('imported.txt')));
      const results = await validatePaths([t.file('a.yaml'), t.file('b.yaml')]);
      for (const r of results) {
        const codes = r.diagnostics.map((d) => d.code);
        expect(codes, r.file).to.include('IRUN_PLUGIN_MANIFEST');
        const d = r.diagnostics.find((x) => x.code === 'IRUN_PLUGIN_MANIFEST')!;
        expect(d.line, r.file).to.equal(4);
      }
      expect(existsSync(t.file('imported.txt'))).to.equal(false);
    } finally {
      t.cleanup();
    }
  });

  it('a pack whose code disagrees with its manifest is refused when its code loads', async () => {
    const t = tempTree({});
    try {
      writeFileSync(t.file('before.mjs'), PACK(t.file('imported.txt')));
      const manifest = await manifestOfModule(t.file('before.mjs'));
      writeFileSync(t.file('pack.mjs'), PACK(t.file('imported.txt'), 'mutate')); // changed after the manifest
      writeFileSync(manifestBeside(t.file('pack.mjs')), JSON.stringify(manifest));
      const registry = new Registry();
      await registry.loadPlugins(['./pack.mjs'], t.dir);
      const action = await registry.require('acme.side.hello');
      expect(action.def.effect).to.equal('read');
      const err = (await action.def.run({} as never, {}, undefined).catch((e: unknown) => e)) as {
        code: string;
        message: string;
      };
      expect(err.code).to.equal('IRUN_PLUGIN_MANIFEST');
      expect(err.message).to.match(/hello': effect differs/);
      const early = (await registry.loadCode(['acme.side']).catch((e: unknown) => e)) as { code: string };
      expect(early.code).to.equal('IRUN_PLUGIN_MANIFEST');
    } finally {
      t.cleanup();
    }
  });

  it('the built-in manifest is generated at build time from every pack module', async () => {
    expect(existsSync(BUILTIN_MANIFEST), 'npm run build writes dist/plugins/manifest.json').to.equal(true);
    const built = JSON.parse(readFileSync(BUILTIN_MANIFEST, 'utf8')) as { packs: Record<string, unknown> };
    const fromSources = await discoverPacks(path.join(PACKAGE_ROOT, 'plugins'), '.ts');
    expect(Object.keys(built.packs).sort()).to.deep.equal(Object.keys(fromSources.packs).sort());
    expect(Object.keys(fromSources.packs)).to.include.members(['core', 'aws.s3', 'aws.iam']);
    for (const [ns, p] of Object.entries(fromSources.packs))
      expect((built.packs[ns] as { manifest: unknown }).manifest, `${ns} (rebuild: npm run build)`).to.deep.equal(
        p.manifest,
      );
  });
});
