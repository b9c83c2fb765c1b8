/**
 * `irun verify`: everything a run record can prove about itself, as coded findings.
 * The hash chain and the run.json anchor (store.ts), the signed heads (with a key), and the
 * accounting of every file in the run directory.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { RunEvent } from './events.js';
import {
  accountEvidence,
  verifyHeads,
  type HeadVerifier,
  type IntegrityFinding,
  type SignatureReport,
} from './integrity.js';
import { verifyRun } from './store.js';

export interface RecordFinding {
  code: string;
  severity: 'error' | 'warning';
  message: string;
  line?: number;
  file?: string;
}

export interface RecordVerification {
  ok: boolean;
  lines: number;
  evidence: number;
  findings: RecordFinding[];
  signatures?: SignatureReport['signed'];
}

/** Events that close a session of the run: after them the journal must be signed to its end. */
const SESSION_END = new Set(['run.end', 'run.waiting']);

export async function verifyRecord(
  dir: string,
  options: { verifier?: HeadVerifier } = {},
): Promise<RecordVerification> {
  const chain = verifyRun(dir);
  const findings: RecordFinding[] = chain.problems
    .filter((p) => p.kind !== 'evidence')
    .map((p) =>
      p.kind === 'torn'
        ? { code: 'IRUN_JOURNAL_TORN', severity: 'warning' as const, message: p.message, line: p.line }
        : { code: 'IRUN_JOURNAL_TAMPERED', severity: 'error' as const, message: p.message, line: p.line, file: p.file },
    );
  let text = '';
  try {
    text = readFileSync(path.join(dir, 'journal.jsonl'), 'utf8');
  } catch {
    return { ok: false, lines: 0, evidence: 0, findings };
  }
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const hashes: string[] = [];
  const named: { file: string; sha256: string; line: number }[] = [];
  let lastType = '';
  let runId = path.basename(dir);
  for (let i = 0; i < lines.length; i++) {
    let e: RunEvent;
    try {
      e = JSON.parse(lines[i]) as RunEvent;
    } catch {
      break; // a torn or broken line: the chain check above reports it
    }
    hashes.push(createHash('sha256').update(lines[i]).digest('hex'));
    lastType = e.type;
    if (e.type === 'run.start') runId = e.runId;
    if (e.type === 'evidence') named.push({ file: e.ref.file, sha256: e.ref.sha256, line: i + 1 });
  }
  if (runId !== path.basename(dir))
    findings.push({
      code: 'IRUN_JOURNAL_TAMPERED',
      severity: 'error',
      line: 1,
      message: `the journal in ${path.basename(dir)} is the record of run ${runId}: records were swapped or copied`,
    });
  const add = (f: IntegrityFinding) => findings.push({ ...f, severity: 'error' });
  accountEvidence(dir, named).forEach(add);
  let signatures: SignatureReport['signed'] | undefined;
  if (options.verifier) {
    const report = await verifyHeads(dir, runId, hashes, options.verifier, SESSION_END.has(lastType));
    report.findings.forEach(add);
    signatures = report.signed;
  }
  const ok = !findings.some((f) => f.severity === 'error');
  return { ok, lines: hashes.length, evidence: named.length, findings, ...(signatures ? { signatures } : {}) };
}
