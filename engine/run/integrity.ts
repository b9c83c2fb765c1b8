/**
 * What makes a run record checkable by someone other than its writer.
 *
 * - Signed journal heads: after each fsync'ed decision or change, and at the end, the sha256 of
 *   the journal's last line (its head) is signed and appended to `heads.jsonl`. A journal whose
 *   chain was recomputed after an edit no longer matches the heads that were signed, and the
 *   editor cannot sign new ones without the key.
 * - Evidence accounting: every file of the run directory is either a file of the record
 *   (run.json, the journal, the heads, the lock) or evidence named in the journal with its hash.
 *
 * Signing itself is behind the `Signer` interface: a local Ed25519 key here, a KMS key from the
 * AWS packs (loaded only when asked for).
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { readdirSync, readFileSync, lstatSync } from 'node:fs';
import path from 'node:path';
import { Codes, ExitCode, IrunError } from '../errors.js';
import { fingerprint, headMessage, publicKeyVerifier, type HeadVerifier, type Signer } from '../util/signing.js';

export { fingerprint, headMessage, publicKeyVerifier, type HeadVerifier, type Signer };

export const HEADS_FILE = 'heads.jsonl';
/** Files of a run directory that are not evidence. */
export const RECORD_FILES = new Set(['run.json', 'journal.jsonl', HEADS_FILE, 'lock']);

export interface SignedHead {
  seq: number;
  head: string;
  ts: string;
  keyId: string;
  alg: string;
  sig: string;
}

function readKeyFile(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new IrunError(Codes.SIGN_KEY, `cannot read the ${what} ${file}: ${(err as NodeJS.ErrnoException).code}`, {
      exit: ExitCode.USAGE,
      suggestions: ['irun keys init   writes a key pair'],
    });
  }
}

/** A local Ed25519 private key (PEM, PKCS#8) as a signer. */
export function fileSigner(file: string): Signer {
  let key: KeyObject;
  try {
    key = createPrivateKey(readKeyFile(file, 'signing key'));
  } catch (err) {
    if (err instanceof IrunError) throw err;
    throw new IrunError(Codes.SIGN_KEY, `${file} is not a PEM private key`, { exit: ExitCode.USAGE });
  }
  if (key.asymmetricKeyType !== 'ed25519')
    throw new IrunError(Codes.SIGN_KEY, `${file} is a ${key.asymmetricKeyType} key; irun signs with Ed25519 keys`, {
      exit: ExitCode.USAGE,
      suggestions: ['irun keys init   writes an Ed25519 key pair'],
    });
  const keyId = fingerprint(createPublicKey(key));
  return { keyId, alg: 'ed25519', sign: async (message) => sign(null, message, key) };
}

/** A local public key (PEM, SPKI) as a verifier; Ed25519, or the ECDSA/RSA public key of a KMS key. */
export function fileVerifier(file: string): HeadVerifier {
  let key: KeyObject;
  try {
    key = createPublicKey(readKeyFile(file, 'public key'));
  } catch (err) {
    if (err instanceof IrunError) throw err;
    throw new IrunError(Codes.SIGN_KEY, `${file} is not a PEM public key`, { exit: ExitCode.USAGE });
  }
  return publicKeyVerifier(key);
}

/** A new Ed25519 key pair as PEM text. */
export function generateKeyPair(): { privateKey: string; publicKey: string; keyId: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    keyId: fingerprint(publicKey),
  };
}

export async function signHead(signer: Signer, runId: string, seq: number, head: string): Promise<SignedHead> {
  const sig = await signer.sign(headMessage(runId, seq, head));
  return { seq, head, ts: new Date().toISOString(), keyId: signer.keyId, alg: signer.alg, sig: sig.toString('base64') };
}

export type IntegrityCode =
  | typeof Codes.JOURNAL_UNSIGNED
  | typeof Codes.SIGNATURE_INVALID
  | typeof Codes.SIGNED_HEAD_MISMATCH
  | typeof Codes.UNSIGNED_TAIL
  | typeof Codes.EVIDENCE_MISSING
  | typeof Codes.EVIDENCE_CHANGED
  | typeof Codes.EVIDENCE_UNEXPECTED;

export interface IntegrityFinding {
  code: IntegrityCode;
  message: string;
  line?: number;
  file?: string;
}

export interface SignatureReport {
  findings: IntegrityFinding[];
  /** Signed heads that verified, by key. */
  signed: { keyId: string; alg: string; heads: number; lastSeq: number; lastTs: string }[];
}

export function readHeads(dir: string): { heads: SignedHead[]; bad: number[] } {
  let text: string;
  try {
    text = readFileSync(path.join(dir, HEADS_FILE), 'utf8');
  } catch {
    return { heads: [], bad: [] };
  }
  const heads: SignedHead[] = [];
  const bad: number[] = [];
  text.split('\n').forEach((line, i) => {
    if (!line) return;
    try {
      const h = JSON.parse(line) as SignedHead;
      if (typeof h.seq === 'number' && typeof h.head === 'string' && typeof h.sig === 'string') heads.push(h);
      else bad.push(i + 1);
    } catch {
      bad.push(i + 1);
    }
  });
  return { heads, bad };
}

/**
 * Check the signed heads against the journal's line hashes (`lineHashes[i]` is the sha256 of
 * line i+1). `ended` says whether the journal's last line closes a session (run end or a wait):
 * such a journal must be signed up to its last line.
 */
export async function verifyHeads(
  dir: string,
  runId: string,
  lineHashes: string[],
  verifier: HeadVerifier,
  ended: boolean,
): Promise<SignatureReport> {
  const findings: IntegrityFinding[] = [];
  const { heads, bad } = readHeads(dir);
  for (const line of bad)
    findings.push({
      code: Codes.SIGNATURE_INVALID,
      file: HEADS_FILE,
      line,
      message: `${HEADS_FILE} line ${line} is not a signed head`,
    });
  if (!heads.length) {
    findings.push({
      code: Codes.JOURNAL_UNSIGNED,
      file: HEADS_FILE,
      message: 'the journal has no signed heads: nothing proves who wrote it (was the run started with --sign-key?)',
    });
    return { findings, signed: [] };
  }
  const byKey = new Map<string, SignatureReport['signed'][number]>();
  let lastGood = 0;
  for (const h of heads) {
    const ok = await verifier.verify(headMessage(runId, h.seq, h.head), Buffer.from(h.sig, 'base64'), h.alg);
    if (!ok) {
      findings.push({
        code: Codes.SIGNATURE_INVALID,
        file: HEADS_FILE,
        line: h.seq,
        message: `the signature of the head at journal line ${h.seq} does not verify with key ${verifier.keyId} (signed as ${h.keyId})`,
      });
      continue;
    }
    if (lineHashes[h.seq - 1] !== h.head) {
      findings.push({
        code: Codes.SIGNED_HEAD_MISMATCH,
        line: h.seq,
        message:
          h.seq > lineHashes.length
            ? `a signed head names journal line ${h.seq}, but the journal has ${lineHashes.length} lines: lines were removed`
            : `journal line ${h.seq} is not the line that was signed: the journal was changed and its chain recomputed`,
      });
      continue;
    }
    lastGood = Math.max(lastGood, h.seq);
    const k = byKey.get(h.keyId) ?? { keyId: h.keyId, alg: h.alg, heads: 0, lastSeq: 0, lastTs: h.ts };
    k.heads++;
    if (h.seq >= k.lastSeq) Object.assign(k, { lastSeq: h.seq, lastTs: h.ts });
    byKey.set(h.keyId, k);
  }
  if (ended && lastGood < lineHashes.length && !findings.length)
    findings.push({
      code: Codes.UNSIGNED_TAIL,
      line: lastGood + 1,
      message: `journal lines ${lastGood + 1}–${lineHashes.length} come after the last signed head (line ${lastGood}): they were added without the key`,
    });
  return { findings, signed: [...byKey.values()] };
}

/**
 * Every file under the run directory is a record file or evidence named in the journal with its
 * hash: missing, changed and unexpected files are each a finding of their own.
 */
export function accountEvidence(
  dir: string,
  named: { file: string; sha256: string; line: number }[],
): IntegrityFinding[] {
  const findings: IntegrityFinding[] = [];
  const root = path.resolve(dir);
  const expected = new Map<string, { sha256: string; line: number }>();
  for (const n of named) {
    const full = path.resolve(root, n.file);
    if (!full.startsWith(root + path.sep)) {
      findings.push({
        code: Codes.EVIDENCE_UNEXPECTED,
        file: n.file,
        line: n.line,
        message: `journal line ${n.line} names ${n.file}, outside the run directory`,
      });
      continue;
    }
    expected.set(path.relative(root, full), { sha256: n.sha256, line: n.line });
  }
  const seen = new Set<string>();
  const walk = (rel: string): void => {
    for (const name of readdirSync(path.join(root, rel))) {
      const r = rel ? path.join(rel, name) : name;
      const st = lstatSync(path.join(root, r));
      if (st.isDirectory()) {
        walk(r);
        continue;
      }
      if (!rel && (RECORD_FILES.has(name) || /^run\.json\.tmp-\d+$/.test(name))) continue;
      const want = expected.get(r);
      if (!want || !st.isFile()) {
        findings.push({ code: Codes.EVIDENCE_UNEXPECTED, file: r, message: `${r} is not named in the journal` });
        continue;
      }
      seen.add(r);
      const hash = createHash('sha256')
        .update(readFileSync(path.join(root, r)))
        .digest('hex');
      if (hash !== want.sha256)
        findings.push({
          code: Codes.EVIDENCE_CHANGED,
          file: r,
          line: want.line,
          message: `${r} does not match the sha256 recorded at journal line ${want.line}`,
        });
    }
  };
  walk('');
  for (const [file, want] of expected)
    if (!seen.has(file))
      findings.push({
        code: Codes.EVIDENCE_MISSING,
        file,
        line: want.line,
        message: `${file}, named at journal line ${want.line}, is missing`,
      });
  return findings;
}
