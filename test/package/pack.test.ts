/**
 * The package as users get it: packed, installed from the tarball into an empty project with
 * dependencies from the npm cache only (offline), then the CLI and the library API used there.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { tempTree } from '../helpers/fs.js';
import { ROOT } from '../cli/helpers.js';
import { npm, packInto, writeConsumer } from './consumer.js';

describe('the packed package', function () {
  this.timeout(240_000);
  let t: ReturnType<typeof tempTree>;
  let project: string;
  let files: string[];

  const irun = (args: string[]) => {
    const r = spawnSync(path.join(project, 'node_modules/.bin/irun'), args, {
      cwd: project,
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1', CI: '1', IRUN_ACTOR: 'tester@ci' },
      input: '',
      maxBuffer: 32 * 1024 * 1024,
    });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr, all: `${r.stdout}\n${r.stderr}` };
  };

  before(function () {
    if (!existsSync(path.join(ROOT, 'dist/engine/cli/index.js')))
      throw new Error('the package is not built: run `npm run build` first (npm test does)');
    t = tempTree({});
    project = t.file('project');
    const packed = packInto(ROOT, t.dir);
    files = packed.files;
    spawnSync('mkdir', ['-p', project]);
    writeConsumer(ROOT, project, `../${packed.filename}`);
    const r = npm(['ci', '--offline', '--no-audit', '--no-fund'], project);
    if (r.status !== 0)
      throw new Error(`installing the tarball offline failed (${r.status}); is the npm cache filled?\n${r.stderr}`);
  });

  after(() => t?.cleanup());

  it('ships what the CLI reads at run time and none of the tests', () => {
    expect(files).to.include('bin/run.js');
    expect(files).to.include('schemas/runbook.schema.json');
    expect(files).to.include('runbooks/s3-unintended-access.yaml');
    expect(files.filter((f) => f.startsWith('dist/test/') || f.startsWith('dist/bench/'))).to.deep.equal([]);
    const pkg = JSON.parse(readFileSync(path.join(project, 'node_modules/irun/package.json'), 'utf8')) as {
      bin: Record<string, string>;
    };
    for (const bin of Object.values(pkg.bin)) expect(files).to.include(bin.replace(/^\.\//, ''));
  });

  it('lists actions, prints the schema and copies a runbook with init', () => {
    const actions = irun(['actions', '--json']);
    expect(actions.code, actions.all).to.equal(0);
    expect((JSON.parse(actions.stdout) as unknown[]).length).to.be.greaterThan(60);
    const one = irun(['actions', 'aws.s3.getBucketPolicy']);
    expect(one.code, one.all).to.equal(0);
    const schema = irun(['schema', '--out', 'runbook.schema.json']);
    expect(schema.code, schema.all).to.equal(0);
    expect(readFileSync(path.join(project, 'runbook.schema.json'), 'utf8')).to.include('aws.s3.getBucketPolicy');
    const init = irun(['init', 's3-unintended-access']);
    expect(init.code, init.all).to.equal(0);
    expect(existsSync(path.join(project, 'runbooks/s3-unintended-access.yaml'))).to.equal(true);
  });

  it('validates, tests and simulates the copied runbook', () => {
    if (!existsSync(path.join(project, 'runbooks'))) irun(['init', 's3-unintended-access']);
    const validate = irun(['validate', '--strict']);
    expect(validate.code, validate.all).to.equal(0);
    expect(validate.all).to.match(/1 file/);
    const builtin = irun(['validate', 'node_modules/irun/runbooks', '--strict']);
    expect(builtin.code, builtin.all).to.equal(0);
    const test = irun(['test', 'runbooks']);
    expect(test.code, test.all).to.equal(0);
    expect(test.all).to.match(/passed/);
    const exec = irun([
      'exec',
      'runbooks/s3-unintended-access.yaml',
      '--scenario',
      'public-bucket-policy',
      '--run-dir',
      'runs/sim',
    ]);
    expect(exec.code, exec.all).to.equal(0);
    expect(exec.all).to.match(/SIMULATION/);
  });

  it('imports the plugin API by name', () => {
    const r = spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const p = await import('irun/plugin'); console.log(JSON.stringify([typeof p.definePlugin, typeof p.defineAction]));`,
      ],
      { cwd: project, encoding: 'utf8' },
    );
    expect(r.status, r.stderr).to.equal(0);
    expect(JSON.parse(r.stdout)).to.deep.equal(['function', 'function']);
  });
});
