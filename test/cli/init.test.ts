import { expect } from 'chai';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { initRunbook, listBuiltins, schemaRef, setSchemaLine } from '../../engine/author/init.js';
import { Codes, IrunError } from '../../engine/errors.js';
import { PACKAGE_ROOT } from '../../engine/plugins/registry.js';
import { dedent, tempTree } from '../helpers/fs.js';

const SCHEMA_LINE = /^# yaml-language-server: \$schema=(\S+)$/m;

describe('init: copy a built-in runbook to customize', () => {
  it('lists the shipped runbook with its scenarios', () => {
    const list = listBuiltins();
    const s3 = list.find((b) => b.id === 's3-unintended-access');
    expect(s3, 'shipped runbook').to.exist;
    expect(s3!.name).to.equal('s3-unintended-access.yaml');
    expect(s3!.scenarios.length).to.be.greaterThan(0);
    for (const f of s3!.scenarios) expect(path.dirname(f)).to.equal(path.join(PACKAGE_ROOT, 'runbooks/scenarios'));
  });

  it('copies runbook and scenarios, pointing $schema at the installed schemas; refuses to overwrite without force', () => {
    const t = tempTree();
    try {
      const r = initRunbook('s3-unintended-access', { cwd: t.dir });
      const copy = t.file('runbooks/s3-unintended-access.yaml');
      expect(r.runbook).to.equal(copy);
      const text = readFileSync(copy, 'utf8');
      const ref = SCHEMA_LINE.exec(text)![1];
      expect(path.resolve(t.file('runbooks'), ref)).to.equal(path.join(PACKAGE_ROOT, 'schemas/runbook.schema.json'));
      expect(existsSync(path.resolve(t.file('runbooks'), ref))).to.equal(true);
      // the rest of the runbook is byte-for-byte the original
      const original = readFileSync(path.join(PACKAGE_ROOT, 'runbooks/s3-unintended-access.yaml'), 'utf8');
      expect(text.replace(SCHEMA_LINE, '')).to.equal(original.replace(SCHEMA_LINE, ''));
      expect(parse(text).id).to.equal('s3-unintended-access');
      const scenarios = r.files.slice(1).map((f) => f.to);
      expect(scenarios.length).to.equal(listBuiltins().find((b) => b.id === 's3-unintended-access')!.scenarios.length);
      for (const s of scenarios) {
        expect(path.dirname(s)).to.equal(t.file('runbooks/scenarios'));
        const sref = SCHEMA_LINE.exec(readFileSync(s, 'utf8'))?.[1];
        if (sref)
          expect(path.resolve(path.dirname(s), sref)).to.equal(path.join(PACKAGE_ROOT, 'schemas/scenario.schema.json'));
      }

      let err: unknown;
      try {
        initRunbook('s3-unintended-access.yaml', { cwd: t.dir });
      } catch (e) {
        err = e;
      }
      expect(err).to.be.instanceOf(IrunError);
      expect((err as IrunError).code).to.equal(Codes.FILE_EXISTS);
      expect((err as IrunError).message).to.include(path.join('runbooks', 's3-unintended-access.yaml'));
      expect(() => initRunbook('s3-unintended-access', { cwd: t.dir, force: true })).to.not.throw();
    } finally {
      t.cleanup();
    }
  });

  it('prefers node_modules/irun/schemas when irun is installed as a dependency; --to elsewhere', () => {
    const t = tempTree({
      'node_modules/irun/schemas/runbook.schema.json': '{}',
      'node_modules/irun/schemas/scenario.schema.json': '{}',
    });
    try {
      initRunbook('s3-unintended-access', { cwd: t.dir, to: 'ops/ir' });
      const text = readFileSync(t.file('ops/ir/s3-unintended-access.yaml'), 'utf8');
      expect(SCHEMA_LINE.exec(text)![1]).to.equal('../../node_modules/irun/schemas/runbook.schema.json');
    } finally {
      t.cleanup();
    }
  });

  it('scenarios that name another runbook stay behind; unknown names are an error listing the built-ins', () => {
    const t = tempTree({
      'builtin/a.yaml': dedent`
        irun: 1
        id: a
        title: A
        parts: []
      `,
      'builtin/b.yaml': 'irun: 1\nid: b\ntitle: B\nparts: []\n',
      'builtin/scenarios/for-a.yaml': 'scenario: for-a\ntitle: x\nrunbookId: a\n',
      'builtin/scenarios/for-b.yaml': 'scenario: for-b\ntitle: x\nrunbook: ../b.yaml\n',
    });
    try {
      const r = initRunbook('a', { cwd: t.file('work'), builtinDir: t.file('builtin'), schemasDir: t.file('schemas') });
      expect(r.files.map((f) => path.relative(t.dir, f.to))).to.deep.equal([
        path.join('work/runbooks/a.yaml'),
        path.join('work/runbooks/scenarios/for-a.yaml'),
      ]);
      // a runbook without a $schema line gets one
      expect(readFileSync(t.file('work/runbooks/a.yaml'), 'utf8').split('\n')[0]).to.equal(
        '# yaml-language-server: $schema=../../schemas/runbook.schema.json',
      );
      let err: IrunError | undefined;
      try {
        initRunbook('c', { cwd: t.dir, builtinDir: t.file('builtin') });
      } catch (e) {
        err = e as IrunError;
      }
      expect(err?.code).to.equal(Codes.FILE_NOT_FOUND);
      expect(err?.suggestions.join()).to.include('a.yaml, b.yaml');
    } finally {
      t.cleanup();
    }
  });

  it('setSchemaLine and schemaRef', () => {
    expect(setSchemaLine('# yaml-language-server: $schema=../x.json\nirun: 1\n', 'y.json')).to.equal(
      '# yaml-language-server: $schema=y.json\nirun: 1\n',
    );
    expect(setSchemaLine('irun: 1\n', 'y.json')).to.equal('# yaml-language-server: $schema=y.json\nirun: 1\n');
    expect(schemaRef('/a/b/runbooks', '/a/node_modules/irun/schemas/runbook.schema.json')).to.equal(
      '../../node_modules/irun/schemas/runbook.schema.json',
    );
  });
});
