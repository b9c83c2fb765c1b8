/** Undo through the CLI: hints that keep every flag given, and only what was asked is undone. */
import { expect } from 'chai';
import { cpSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { tempTree } from '../helpers/fs.js';
import { irun, ROOT } from './helpers.js';

function setup() {
  const t = tempTree();
  cpSync(path.join(ROOT, 'test/fixtures/cli'), t.dir, { recursive: true });
  const env = { IRUN_TEST_COUNTER: t.file('counter.json'), IRUN_RUN_DIR: t.file('runs') };
  const counts = () =>
    existsSync(env.IRUN_TEST_COUNTER)
      ? (JSON.parse(readFileSync(env.IRUN_TEST_COUNTER, 'utf8')) as Record<string, number>)
      : {};
  const onlyRun = () => readdirSync(env.IRUN_RUN_DIR)[0];
  return { t, env, counts, onlyRun };
}

describe('CLI: undo', function () {
  this.timeout(120_000);

  it('the approval hint repeats every flag given (never drops --step), and --step with --yes undoes that step only', () => {
    const { t, env, counts, onlyRun } = setup();
    try {
      expect(irun(['exec', 'counters.yaml', '--answer', 'ask=yes', '--yes'], { cwd: t.dir, env }).code).to.equal(0);
      const id = onlyRun();
      const runDir = env.IRUN_RUN_DIR;
      let r = irun(['undo', id, '--step', 'bump-a', '--run-dir', runDir], { cwd: t.dir, env });
      expect(r.code, r.stdout + r.stderr).to.equal(3);
      expect(r.stdout).to.include(`irun undo ${id} --step bump-a --run-dir ${runDir} --approve bump-a`);
      expect(r.stdout).to.include(`irun undo ${id} --step bump-a --run-dir ${runDir} --yes`);
      expect(r.stdout).to.not.match(new RegExp(`irun undo ${id} --approve`));
      expect(counts()).to.deep.equal({ a: 1, b: 1, c: 1 });

      r = irun(['undo', id, '--step', 'bump-a', '--run-dir', runDir, '--yes'], { cwd: t.dir, env });
      expect(r.code, r.stdout + r.stderr).to.equal(0);
      expect(counts()).to.deep.equal({ a: 0, b: 1, c: 1 });
    } finally {
      t.cleanup();
    }
  });
});
