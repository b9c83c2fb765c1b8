import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { tempTree } from '../helpers/fs.js';
import { spawnSync } from 'node:child_process';
import { BIN, ROOT } from './helpers.js';

describe('irun validate stays light', function () {
  this.timeout(60_000);

  it('validating a runbook of AWS actions imports no pack module (manifests only) and no @aws-sdk module', () => {
    const t = tempTree();
    try {
      const trace = t.file('trace.txt');
      const r = spawnSync(
        process.execPath,
        [
          '--import',
          path.join(ROOT, 'test/fixtures/cli/trace-imports.mjs'),
          BIN,
          'validate',
          path.join(ROOT, 'test/fixtures/cli/aws-actions.yaml'),
        ],
        {
          env: { ...process.env, IRUN_TRACE_FILE: trace, NO_COLOR: '1' },
          encoding: 'utf8',
        },
      );
      expect(r.status, r.stdout + r.stderr).to.equal(0);
      const urls = readFileSync(trace, 'utf8').split('\n').filter(Boolean);
      // positive control: the trace sees the engine's modules
      expect(urls.some((u) => /engine\/plugins\/registry\.js$/.test(u))).to.equal(true);
      expect(
        urls.filter((u) => /\/dist\/plugins\//.test(u)),
        'pack modules imported by validate',
      ).to.deep.equal([]);
      const sdk = urls.filter((u) => /@aws-sdk\/|@smithy\//.test(u));
      expect(sdk, 'AWS SDK modules loaded by validate').to.deep.equal([]);
    } finally {
      t.cleanup();
    }
  });
});
