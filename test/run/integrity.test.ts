/**
 * Signed journal heads and evidence accounting: each way of rewriting a record is detected with
 * its own code, and a chain recomputed by the writer fails once heads are signed.
 */
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { cpSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { RunEvent } from '../../engine/run/events.js';
import {
  fileSigner,
  fileVerifier,
  generateKeyPair,
  headMessage,
  publicKeyVerifier,
  type Signer,
} from '../../engine/run/integrity.js';
import { RunStore, ZERO_HASH } from '../../engine/run/store.js';
import { verifyRecord } from '../../engine/run/verify.js';
import { tempTree } from '../helpers/fs.js';
import { createPublicKey, generateKeyPairSync, sign as cryptoSign } from 'node:crypto';

const sha = (s: string | Buffer) => createHash('sha256').update(s).digest('hex');

type Tree = ReturnType<typeof tempTree>;

function keyFiles(t: Tree, name = 'k'): { key: string; pub: string } {
  const pair = generateKeyPair();
  writeFileSync(t.file(`${name}.key`), pair.privateKey);
  writeFileSync(t.file(`${name}.pub`), pair.publicKey);
  return { key: t.file(`${name}.key`), pub: t.file(`${name}.pub`) };
}

/** A small finished run: start, a step with evidence, an answer, the end. */
async function recordRun(t: Tree, runId: string, signer?: Signer): Promise<string> {
  const root = t.file('runs');
  const store = RunStore.create(root, runId, { fsync: false, signer });
  const at = '2026-12-01T03:00:00.000Z';
  store.append([
    {
      type: 'run.start',
      runId,
      runbook: { id: 'rb', title: 'RB', file: 'rb.yaml', sha256: ZERO_HASH },
      inputs: { bucket: 'b' },
      actor: 'alice',
      dryRun: false,
      simulated: false,
      startedAt: at,
    } as RunEvent,
  ]);
  store.append([{ type: 'step.start', step: 'look', attempt: 1, at } as unknown as RunEvent]);
  const ref = await store.evidenceFor('look').save('policy', { Statement: [] });
  store.append([{ type: 'evidence', step: 'look', ref } as RunEvent]);
  store.append([{ type: 'answer', step: 'ask', value: 'yes', actor: 'alice', at, source: 'prompt' } as RunEvent]);
  store.append([{ type: 'run.end', status: 'completed', outcome: 'resolved', endedAt: at } as RunEvent]);
  await store.settle();
  store.close();
  return path.join(root, runId);
}

function lines(dir: string): string[] {
  return readFileSync(path.join(dir, 'journal.jsonl'), 'utf8').trimEnd().split('\n');
}

/** Rewrite the journal with `edit` applied to the parsed events, recomputing the chain and run.json's head. */
function rewriteWithValidChain(dir: string, edit: (events: Record<string, unknown>[]) => Record<string, unknown>[]) {
  const events = edit(lines(dir).map((l) => JSON.parse(l) as Record<string, unknown>));
  let prev = ZERO_HASH;
  const out: string[] = [];
  events.forEach((e, i) => {
    const line = JSON.stringify({ ...e, seq: i + 1, prev });
    prev = sha(line);
    out.push(line);
  });
  writeFileSync(path.join(dir, 'journal.jsonl'), `${out.join('\n')}\n`);
  const meta = JSON.parse(readFileSync(path.join(dir, 'run.json'), 'utf8'));
  meta.journal = { lines: out.length, sha256: prev };
  writeFileSync(path.join(dir, 'run.json'), JSON.stringify(meta, null, 2));
}

const codes = (r: { findings: { code: string }[] }) => r.findings.map((f) => f.code);

describe('run record integrity: signed heads and evidence accounting', () => {
  let t: Tree;
  beforeEach(() => (t = tempTree()));
  afterEach(() => t.cleanup());

  it('signs the head at each decision and at the end, and verifies with the public key', async () => {
    const k = keyFiles(t);
    const dir = await recordRun(t, 'r1', fileSigner(k.key));
    const heads = readFileSync(path.join(dir, 'heads.jsonl'), 'utf8').trim().split('\n');
    expect(heads.length).to.be.greaterThan(1);
    const last = JSON.parse(heads[heads.length - 1]);
    expect(last.seq).to.equal(lines(dir).length);
    expect(last.head).to.equal(sha(lines(dir)[last.seq - 1]));
    const r = await verifyRecord(dir, { verifier: fileVerifier(k.pub) });
    expect(r.findings).to.deep.equal([]);
    expect(r.ok).to.equal(true);
    expect(r.signatures).to.have.length(1);
    expect(r.signatures![0].lastSeq).to.equal(lines(dir).length);
  });

  it('a chain recomputed after an edit passes the unsigned check but fails with the key', async () => {
    const k = keyFiles(t);
    const dir = await recordRun(t, 'r1', fileSigner(k.key));
    rewriteWithValidChain(dir, (events) =>
      events.map((e) => (e.type === 'answer' ? { ...e, value: 'no', actor: 'mallory' } : e)),
    );
    expect((await verifyRecord(dir)).ok, 'without a key only self-consistency is checked').to.equal(true);
    const r = await verifyRecord(dir, { verifier: fileVerifier(k.pub) });
    expect(r.ok).to.equal(false);
    expect(codes(r)).to.include('IRUN_SIGNED_HEAD_MISMATCH');
  });

  it('a truncated journal (chain and run.json recomputed) is detected by the signed heads', async () => {
    const k = keyFiles(t);
    const dir = await recordRun(t, 'r1', fileSigner(k.key));
    rewriteWithValidChain(dir, (events) => events.slice(0, -2));
    const r = await verifyRecord(dir, { verifier: fileVerifier(k.pub) });
    expect(codes(r)).to.include('IRUN_SIGNED_HEAD_MISMATCH');
    expect(r.findings.find((f) => f.code === 'IRUN_SIGNED_HEAD_MISMATCH')!.message).to.match(/lines were removed/);
  });

  it('lines appended after the last signed head of a finished run are an unsigned tail', async () => {
    const k = keyFiles(t);
    const dir = await recordRun(t, 'r1', fileSigner(k.key));
    rewriteWithValidChain(dir, (events) => [
      ...events,
      { type: 'answer', step: 'x', value: 1, actor: 'mallory', at: 'now', source: 'flag' },
      { type: 'run.end', status: 'completed', endedAt: 'now' },
    ]);
    const r = await verifyRecord(dir, { verifier: fileVerifier(k.pub) });
    expect(codes(r)).to.deep.equal(['IRUN_UNSIGNED_TAIL']);
  });

  it('another key, a forged signature and an unsigned journal are each refused with their code', async () => {
    const k = keyFiles(t);
    const other = keyFiles(t, 'other');
    const dir = await recordRun(t, 'r1', fileSigner(k.key));
    expect(codes(await verifyRecord(dir, { verifier: fileVerifier(other.pub) }))).to.include('IRUN_SIGNATURE_INVALID');

    const heads = readFileSync(path.join(dir, 'heads.jsonl'), 'utf8').trim().split('\n');
    const forged = JSON.parse(heads[0]);
    forged.sig = Buffer.from(forged.sig, 'base64').reverse().toString('base64');
    writeFileSync(path.join(dir, 'heads.jsonl'), [JSON.stringify(forged), ...heads.slice(1)].join('\n') + '\n');
    expect(codes(await verifyRecord(dir, { verifier: fileVerifier(k.pub) }))).to.include('IRUN_SIGNATURE_INVALID');

    const unsigned = await recordRun(t, 'r2');
    expect(codes(await verifyRecord(unsigned, { verifier: fileVerifier(k.pub) }))).to.deep.equal([
      'IRUN_JOURNAL_UNSIGNED',
    ]);
  });

  it('swapping two runs’ records is detected (a signature covers the run id)', async () => {
    const k = keyFiles(t);
    const a = await recordRun(t, 'run-a', fileSigner(k.key));
    const b = await recordRun(t, 'run-b', fileSigner(k.key));
    for (const f of ['journal.jsonl', 'heads.jsonl', 'run.json']) cpSync(path.join(a, f), path.join(b, f));
    const r = await verifyRecord(b, { verifier: fileVerifier(k.pub) });
    expect(r.ok).to.equal(false);
    expect(codes(r)).to.include('IRUN_JOURNAL_TAMPERED');
  });

  it('accounts for every file: changed, missing and planted evidence each have a code', async () => {
    const dir = await recordRun(t, 'r1');
    const ev = JSON.parse(lines(dir).find((l) => l.includes('"evidence"'))!).ref.file as string;
    writeFileSync(path.join(dir, ev), '{"Statement":[{"Effect":"Allow","Principal":"*"}]}');
    writeFileSync(path.join(dir, 'evidence', '9999-planted.json'), '{}');
    writeFileSync(path.join(dir, 'notes.txt'), 'x');
    let r = await verifyRecord(dir);
    expect(r.ok).to.equal(false);
    expect(codes(r).sort()).to.deep.equal([
      'IRUN_EVIDENCE_CHANGED',
      'IRUN_EVIDENCE_UNEXPECTED',
      'IRUN_EVIDENCE_UNEXPECTED',
    ]);
    unlinkSync(path.join(dir, ev));
    r = await verifyRecord(dir);
    expect(codes(r)).to.include('IRUN_EVIDENCE_MISSING');
    expect(codes(r)).not.to.include('IRUN_EVIDENCE_CHANGED');
  });

  it('an intact unsigned run verifies, and the lock and a leftover run.json temp file are not findings', async () => {
    const dir = await recordRun(t, 'r1');
    writeFileSync(path.join(dir, 'run.json.tmp-123'), '{}');
    const r = await verifyRecord(dir);
    expect(r.findings).to.deep.equal([]);
    rmSync(path.join(dir, 'run.json.tmp-123'));
  });

  it('verifies ECDSA heads as a KMS key signs them (public key exported as PEM)', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const kmsLike: Signer = {
      keyId: 'arn:aws:kms:eu-west-1:111122223333:key/test',
      alg: 'ECDSA_SHA_256',
      sign: async (m) => cryptoSign('sha256', m, privateKey),
    };
    const dir = await recordRun(t, 'r1', kmsLike);
    const v = publicKeyVerifier(createPublicKey(publicKey.export({ type: 'spki', format: 'pem' })), kmsLike.keyId);
    const r = await verifyRecord(dir, { verifier: v });
    expect(r.findings).to.deep.equal([]);
    expect(r.signatures![0]).to.include({ keyId: kmsLike.keyId, alg: 'ECDSA_SHA_256' });
    expect(await v.verify(headMessage('r1', 1, 'x'), Buffer.alloc(64), 'ECDSA_SHA_256')).to.equal(false);
  });

  it('a signer that fails makes settle() throw a coded error instead of leaving the run silently unsigned', async () => {
    const failing: Signer = {
      keyId: 'k',
      alg: 'ed25519',
      sign: async () => {
        throw new Error('KMS said AccessDeniedException');
      },
    };
    const root = t.file('runs');
    const store = RunStore.create(root, 'r1', { fsync: false, signer: failing });
    store.append([{ type: 'answer', step: 'a', value: 1, actor: 'x', at: 'now', source: 'flag' } as RunEvent]);
    let caught: unknown;
    try {
      await store.settle();
    } catch (err) {
      caught = err;
    }
    store.close();
    expect((caught as { code?: string })?.code).to.equal('IRUN_SIGN_FAILED');
  });

  it('refuses a signing key that is not an Ed25519 private key', () => {
    writeFileSync(t.file('bad.key'), 'not a key');
    expect(() => fileSigner(t.file('bad.key'))).to.throw(/not a PEM private key/);
    expect(() => fileSigner(t.file('missing.key'))).to.throw(/cannot read the signing key/);
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    writeFileSync(t.file('ec.key'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
    expect(() => fileSigner(t.file('ec.key'))).to.throw(/Ed25519/);
  });
});
