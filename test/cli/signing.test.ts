/**
 * Signed runs through the CLI: keys init, exec/resume/undo --sign-key (a key file, or a KMS key
 * over a local KMS endpoint), verify --public-key / --kms-key, and what an edited record shows.
 */
import { expect } from 'chai';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startKmsServer, type KmsServer } from '../helpers/kms-server.js';
import { tempTree } from '../helpers/fs.js';
import { irun, irunAsync } from './helpers.js';

const AWS_ENV = {
  AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
  AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  AWS_REGION: 'eu-west-1',
  AWS_PROFILE: undefined,
};

describe('CLI: signed run records', function () {
  this.timeout(180_000);
  let t: ReturnType<typeof tempTree>;
  beforeEach(() => (t = tempTree()));
  afterEach(() => t.cleanup());

  const env = () => ({ IRUN_RUN_DIR: t.file('runs') });
  const onlyRun = () => readdirSync(t.file('runs'))[0];

  it('keys init, a signed simulated run, verify with the public key; an edited answer fails verification', () => {
    let r = irun(['keys', 'init', '--out', t.file('keys')], { cwd: t.dir, env: env() });
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/key sha256:[0-9a-f]{32}/);
    expect(irun(['keys', 'init', '--out', t.file('keys')], { cwd: t.dir, env: env() }).stderr).to.include(
      'IRUN_FILE_EXISTS',
    );
    r = irun(
      [
        'exec',
        's3-unintended-access.yaml',
        '--scenario',
        'public-bucket-policy',
        '--sign-key',
        t.file('keys/irun-sign.key'),
      ],
      { cwd: t.dir, env: env() },
    );
    expect(r.code, r.stdout + r.stderr).to.equal(0);
    const id = onlyRun();
    r = irun(['verify', id, '--public-key', t.file('keys/irun-sign.pub')], { cwd: t.dir, env: env() });
    expect(r.code, r.stdout + r.stderr).to.equal(0);
    expect(r.stdout).to.match(/signed by sha256:[0-9a-f]{32} \(ed25519\)/);

    // An auditor with the wrong key, and a journal with an answer changed and the chain recomputed.
    irun(['keys', 'init', '--out', t.file('other')], { cwd: t.dir, env: env() });
    r = irun(['verify', id, '--public-key', t.file('other/irun-sign.pub')], { cwd: t.dir, env: env() });
    expect(r.code).to.equal(1);
    expect(r.stdout).to.include('IRUN_SIGNATURE_INVALID');

    const file = path.join(t.file('runs'), id, 'journal.jsonl');
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    const i = lines.findIndex((l) => l.includes('"type":"answer"'));
    const edited = { ...JSON.parse(lines[i]), actor: 'mallory@ci' };
    expect(JSON.stringify(edited)).to.not.equal(lines[i]);
    lines[i] = JSON.stringify(edited);
    writeFileSync(file, `${lines.join('\n')}\n`);
    r = irun(['verify', id, '--public-key', t.file('keys/irun-sign.pub')], { cwd: t.dir, env: env() });
    expect(r.code).to.equal(1);
    expect(r.stdout).to.include('IRUN_JOURNAL_TAMPERED');
  });

  it('a bad --sign-key is a usage error before anything is recorded', () => {
    writeFileSync(t.file('bad.key'), 'nope');
    const r = irun(
      ['exec', 's3-unintended-access.yaml', '--scenario', 'public-bucket-policy', '--sign-key', t.file('bad.key')],
      {
        cwd: t.dir,
        env: env(),
      },
    );
    expect(r.code).to.equal(2);
    expect(r.stderr).to.include('IRUN_SIGN_KEY');
    let runs: string[] = [];
    try {
      runs = readdirSync(t.file('runs'));
    } catch {
      // no run folder at all
    }
    expect(runs).to.deep.equal([]);
  });

  describe('with a KMS key', () => {
    let kms: KmsServer;
    beforeEach(async () => (kms = await startKmsServer()));
    afterEach(() => kms.close());

    it('signs through KMS and verifies with --kms-key (public key fetched once)', async () => {
      const e = { ...env(), ...AWS_ENV };
      let r = await irunAsync(
        [
          'exec',
          's3-unintended-access.yaml',
          '--scenario',
          'public-bucket-policy',
          '--sign-key',
          `kms:${kms.keyArn}`,
          '--endpoint-url',
          kms.url,
        ],
        { cwd: t.dir, env: e },
      );
      expect(r.code, r.stdout + r.stderr).to.equal(0);
      expect(kms.calls.filter((c) => c === 'Sign').length).to.be.greaterThan(1);
      const id = onlyRun();
      kms.calls.length = 0;
      r = await irunAsync(['verify', id, '--kms-key', kms.keyArn, '--endpoint-url', kms.url], { cwd: t.dir, env: e });
      expect(r.code, r.stdout + r.stderr).to.equal(0);
      expect(r.stdout).to.include(`signed by ${kms.keyArn} (ECDSA_SHA_256)`);
      expect(kms.calls).to.deep.equal(['GetPublicKey']);
      writeFileSync(t.file('kms.pub'), kms.publicKeyPem);
      expect(
        (await irunAsync(['verify', id, '--public-key', t.file('kms.pub')], { cwd: t.dir, env: e })).code,
      ).to.equal(0);
    });

    it('a KMS key that refuses to sign ends the command with IRUN_SIGN_FAILED, the journal itself complete', async () => {
      kms.failSign = 'AccessDeniedException';
      const e = { ...env(), ...AWS_ENV };
      const r = await irunAsync(
        [
          'exec',
          's3-unintended-access.yaml',
          '--scenario',
          'public-bucket-policy',
          '--sign-key',
          `kms:${kms.keyArn}`,
          '--endpoint-url',
          kms.url,
        ],
        { cwd: t.dir, env: e },
      );
      expect(r.code).to.not.equal(0);
      expect(r.stderr).to.include('IRUN_SIGN_FAILED');
      expect(r.stderr).to.include('AccessDeniedException');
      const id = onlyRun();
      expect((await irunAsync(['verify', id], { cwd: t.dir, env: e })).code).to.equal(0);
    });
  });
});
