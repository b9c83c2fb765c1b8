/**
 * The run record on disk: run.json, an append-only hash-chained journal.jsonl,
 * evidence files with their sha256 in the journal, and a lock file (one process per run).
 *
 * Each journal line is `{"seq":N,"ts":"…","prev":"<sha256 of the previous line>",…event}`;
 * the first line's prev is 64 zeros. Lines are written with one write() each (a batch of lines
 * with one write), so a killed process leaves at most a torn last line, which reading tolerates
 * and reports. Boundary events are also fsync'ed.
 */
import { createHash } from 'node:crypto';
import {
  closeSync,
  existsSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  lstatSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Codes, ExitCode, IrunError } from '../errors.js';
import type { EvidenceRef, EvidenceStore } from '../plugins/api.js';
import { BOUNDARY_EVENTS, type Listener, type RunEvent } from './events.js';
import { HEADS_FILE, signHead, type Signer } from './integrity.js';

export const ZERO_HASH = '0'.repeat(64);

/**
 * Events fsync'ed before the run goes on: decisions (answers, approvals), every step of a change
 * (its start, before-state and result), pauses, undo and the start and end of the run. Other
 * events are written at once (a killed process loses nothing) and reach the disk with the next
 * sync; after a power loss the last read-only steps may be missing and simply run again.
 */
export function mustSync(e: RunEvent): boolean {
  if (!BOUNDARY_EVENTS.has(e.type)) return false;
  if (e.type === 'step.start') return e.effect === 'mutate';
  if (e.type === 'step.end') return e.before !== undefined || e.plan !== undefined || e.reversible !== undefined;
  if (e.type === 'item.end') return e.reversible !== undefined;
  return true;
}
export const DEFAULT_RUNS_DIR = '.irun/runs';

export function runsDir(flag?: string): string {
  return path.resolve(flag ?? process.env.IRUN_RUN_DIR ?? DEFAULT_RUNS_DIR);
}

export interface RunMeta {
  runId: string;
  runbook: { id: string; title: string; file: string; sha256: string };
  status: string;
  outcome?: string;
  actor: string;
  startedAt: string;
  endedAt?: string;
  updatedAt: string;
  dryRun: boolean;
  simulated: boolean;
  /** Scenario file of a simulated run (resume needs it again). */
  scenario?: string;
  inputs: Record<string, unknown>;
  waiting?: { step: string; reason: string; message: string };
  irunVersion: string;
  message?: string;
  /** The journal's head when run.json was last written: verify checks the last line against it. */
  journal?: { lines: number; sha256: string };
}

export interface JournalRead {
  events: RunEvent[];
  /** Raw text of each good line. */
  lines: string[];
  /** A last line that is not complete JSON (a crash mid-write). */
  torn?: { line: number; bytes: number };
  /** Byte length of the good prefix of the file. */
  goodBytes: number;
}

const sha256 = (text: string | Buffer) => createHash('sha256').update(text).digest('hex');

/** Read a journal, tolerating a torn last line. A bad line elsewhere is an error. */
export function readJournal(file: string): JournalRead {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new IrunError(Codes.FILE_NOT_FOUND, `journal ${file} cannot be read`);
  }
  // Every complete line ends with a newline: the text after the last one (if any) is a torn write.
  const raw = text.split('\n');
  const tail = raw.pop() ?? '';
  const events: RunEvent[] = [];
  const lines: string[] = [];
  let goodBytes = 0;
  for (let i = 0; i < raw.length; i++) {
    try {
      events.push(JSON.parse(raw[i]) as RunEvent);
    } catch {
      throw new IrunError('IRUN_JOURNAL_CORRUPT', `journal ${file} line ${i + 1} is not valid JSON`, {
        location: { file, line: i + 1, column: 1 },
      });
    }
    lines.push(raw[i]);
    goodBytes += Buffer.byteLength(raw[i]) + 1;
  }
  const torn = tail === '' ? undefined : { line: raw.length + 1, bytes: Buffer.byteLength(tail) };
  return { events, lines, goodBytes, ...(torn ? { torn } : {}) };
}

export interface RunStoreOptions {
  /** fsync the journal after boundary events (default true). */
  fsync?: boolean;
  irunVersion?: string;
  /** Signs the journal head after each fsync'ed decision or change and at the end (`--sign-key`). */
  signer?: Signer;
}

export class RunStore {
  readonly dir: string;
  readonly journalPath: string;
  private fd: number | undefined;
  private seq = 0;
  private prev = ZERO_HASH;
  private evidenceCount = 0;
  private lockPath: string;
  private locked = false;
  private meta: RunMeta | undefined;
  private readonly fsync: boolean;
  private readonly version: string;
  private crashAfter: { type: string; n: number } | undefined;
  private crashSeen = 0;
  private readonly signer: Signer | undefined;
  private runId = '';
  private signedSeq = 0;
  private signing: Promise<void> = Promise.resolve();
  private signError: unknown;
  /** Evidence files written but not yet named by an `evidence` event of the journal. */
  private readonly unnamed = new Map<string, { step: string; ref: EvidenceRef }>();

  private constructor(dir: string, options: RunStoreOptions) {
    this.dir = dir;
    this.journalPath = path.join(dir, 'journal.jsonl');
    this.lockPath = path.join(dir, 'lock');
    this.fsync = options.fsync ?? process.env.IRUN_FSYNC !== '0';
    this.version = options.irunVersion ?? '0.0.0';
    this.signer = options.signer;
    this.runId = path.basename(dir);
    // Fault injection for the crash tests: IRUN_CRASH_AFTER=<event type>:<n> kills the process
    // with SIGKILL right after the n-th event of that type is on disk.
    const crash = process.env.IRUN_CRASH_AFTER;
    if (crash) {
      const [type, n] = crash.split(':');
      this.crashAfter = { type, n: Number(n ?? 1) };
    }
  }

  /** A new run folder under `root` (fails if it exists). */
  static create(root: string, runId: string, options: RunStoreOptions = {}): RunStore {
    if (!/^[A-Za-z0-9._-]+$/.test(runId))
      throw new IrunError(Codes.USAGE, `run id '${runId}' may hold only letters, digits, '.', '_' and '-'`, {
        exit: ExitCode.USAGE,
      });
    const dir = path.join(root, runId);
    if (existsSync(path.join(dir, 'journal.jsonl')))
      throw new IrunError('IRUN_RUN_EXISTS', `run ${runId} already exists in ${root}; use 'irun resume ${runId}'`, {
        exit: ExitCode.USAGE,
      });
    mkdirSync(path.join(dir, 'evidence'), { recursive: true });
    const store = new RunStore(dir, options);
    store.lock();
    store.fd = openSync(store.journalPath, 'a');
    return store;
  }

  /** An existing run, for resume or undo: locks it, repairs a torn last line, continues the chain. */
  static open(root: string, runId: string, options: RunStoreOptions = {}): { store: RunStore; journal: JournalRead } {
    const dir = path.join(root, runId);
    if (!existsSync(path.join(dir, 'journal.jsonl'))) {
      throw new IrunError('IRUN_RUN_NOT_FOUND', `no run '${runId}' in ${root}`, {
        exit: ExitCode.FAILED,
        suggestions: ['irun runs   lists the runs there', 'use --run-dir if the run was recorded elsewhere'],
      });
    }
    const store = new RunStore(dir, options);
    store.lock();
    try {
      const journal = readJournal(store.journalPath);
      if (journal.torn) {
        // Drop the torn tail so the chain continues from the last complete line.
        const fd = openSync(store.journalPath, 'r+');
        ftruncateSync(fd, journal.goodBytes);
        closeSync(fd);
      }
      store.seq = journal.events.length;
      store.prev = journal.lines.length ? sha256(journal.lines[journal.lines.length - 1]) : ZERO_HASH;
      store.evidenceCount = existsSync(path.join(dir, 'evidence')) ? readdirSync(path.join(dir, 'evidence')).length : 0;
      store.meta = readRunMeta(dir);
      store.fd = openSync(store.journalPath, 'a');
      store.recoverOrphans(journal.events);
      return { store, journal };
    } catch (err) {
      store.unlock();
      throw err;
    }
  }

  /**
   * Evidence files on disk that the journal does not name (the process stopped between writing a
   * file and journaling it) are named now, marked as recovered, so the record accounts for them.
   */
  private recoverOrphans(events: RunEvent[]): void {
    const evidenceDir = path.join(this.dir, 'evidence');
    if (!existsSync(evidenceDir)) return;
    const named = new Set(events.flatMap((e) => (e.type === 'evidence' ? [e.ref.file] : [])));
    const orphans: RunEvent[] = [];
    for (const name of readdirSync(evidenceDir).sort()) {
      const file = `evidence/${name}`;
      const full = path.join(this.dir, file);
      if (named.has(file) || !lstatSync(full).isFile()) continue;
      const content = readFileSync(full);
      orphans.push({
        type: 'evidence',
        step: '(recovered)',
        ref: {
          name: name.replace(/^\d+-/, '').replace(/\.[a-z0-9]+$/i, ''),
          file,
          sha256: sha256(content),
          bytes: content.length,
        },
        recovered: true,
      });
    }
    if (orphans.length) this.append(orphans);
  }

  private lock(): void {
    mkdirSync(this.dir, { recursive: true });
    const me = `${process.pid}@${os.hostname()}`;
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = openSync(this.lockPath, 'wx');
        writeSync(fd, me);
        closeSync(fd);
        this.locked = true;
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        const holder = readFileSync(this.lockPath, 'utf8').trim();
        const [pidText, host] = holder.split('@');
        const pid = Number(pidText);
        const alive = host === os.hostname() && Number.isInteger(pid) && isAlive(pid);
        if (alive || host !== os.hostname()) {
          throw new IrunError('IRUN_RUN_LOCKED', `run in ${this.dir} is in use by process ${holder}`, {
            exit: ExitCode.USAGE,
            suggestions: [
              host !== os.hostname()
                ? `if that process is gone, delete ${this.lockPath}`
                : 'wait for it to finish or stop it first',
            ],
          });
        }
        // The holder died (crash): take the lock over.
        unlinkSync(this.lockPath);
      }
    }
  }

  unlock(): void {
    if (this.locked) {
      try {
        unlinkSync(this.lockPath);
      } catch {
        // already gone
      }
      this.locked = false;
    }
  }

  /** Sign the current journal head (queued: a KMS signature is a network call). */
  private queueSign(): void {
    if (!this.signer || this.seq === this.signedSeq) return;
    const signer = this.signer;
    const seq = this.seq;
    const head = this.prev;
    this.signedSeq = seq;
    this.signing = this.signing.then(async () => {
      if (this.signError) return;
      try {
        const signed = await signHead(signer, this.runId, seq, head);
        const fd = openSync(path.join(this.dir, HEADS_FILE), 'a');
        try {
          writeSync(fd, `${JSON.stringify(signed)}\n`);
          if (this.fsync) fsyncSync(fd);
        } finally {
          closeSync(fd);
        }
      } catch (err) {
        this.signError = err;
      }
    });
  }

  /**
   * Sign the head as it is now and wait for every queued signature; call before closing a session.
   * A signature that could not be made is an error: the record would otherwise claim less than it says.
   */
  async settle(): Promise<void> {
    this.queueSign();
    await this.signing;
    if (this.signError) {
      const err = this.signError;
      this.signError = undefined;
      if (err instanceof IrunError) throw err;
      throw new IrunError(Codes.SIGN_FAILED, `could not sign the journal head: ${(err as Error).message}`, {
        exit: ExitCode.FAILED,
        cause: err,
      });
    }
  }

  close(): void {
    if (this.fd !== undefined) {
      closeSync(this.fd);
      this.fd = undefined;
    }
    this.unlock();
  }

  /** Append events as one write; fsync when any is a step boundary. */
  append(events: RunEvent[]): void {
    if (this.fd === undefined) throw new IrunError(Codes.INTERNAL, 'journal is closed');
    for (const e of events) if (e.type === 'evidence') this.unnamed.delete(e.ref.file);
    // Every file the store wrote is named in the journal by the end of a session (e.g. the
    // before-state captured for a change that then waits for approval).
    if (this.unnamed.size && events.some((e) => e.type === 'run.waiting' || e.type === 'run.end')) {
      const leftovers = [...this.unnamed.values()].map(({ step, ref }): RunEvent => ({
        type: 'evidence',
        step,
        ref,
        unreferenced: true,
      }));
      this.unnamed.clear();
      events = [...leftovers, ...events];
    }
    let chunk = '';
    let boundary = false;
    const ts = new Date().toISOString();
    for (const e of events) {
      const { seq: _s, ts: _t, ...rest } = e as RunEvent & { prev?: string };
      delete (rest as { prev?: string }).prev;
      const line = JSON.stringify({ seq: ++this.seq, ts, prev: this.prev, ...rest });
      this.prev = sha256(line);
      chunk += `${line}\n`;
      if (mustSync(e)) boundary = true;
    }
    writeSync(this.fd, chunk);
    if (boundary && this.fsync) fsyncSync(this.fd);
    if (boundary) this.queueSign();
    for (const e of events) this.afterWrite(e);
  }

  private afterWrite(e: RunEvent): void {
    this.updateMeta(e);
    if (this.crashAfter && e.type === this.crashAfter.type && ++this.crashSeen >= this.crashAfter.n) {
      process.kill(process.pid, 'SIGKILL');
    }
  }

  /** The journal as an executor listener (with a batch form for evidence + step.end). */
  listener(): Listener & { batch: (events: RunEvent[]) => void } {
    const fn = (e: RunEvent) => this.append([e]);
    return Object.assign(fn, { batch: (events: RunEvent[]) => this.append(events) });
  }

  setScenario(file: string): void {
    this.pendingScenario = file;
  }
  private pendingScenario: string | undefined;

  private updateMeta(e: RunEvent): void {
    const now = new Date().toISOString();
    switch (e.type) {
      case 'run.start':
        this.meta = {
          runId: e.runId,
          runbook: e.runbook,
          status: 'running',
          actor: e.actor,
          startedAt: e.startedAt,
          updatedAt: now,
          dryRun: e.dryRun,
          simulated: e.simulated,
          inputs: e.inputs,
          irunVersion: this.version,
          ...(this.pendingScenario ? { scenario: this.pendingScenario } : {}),
        };
        break;
      case 'run.resume':
        if (this.meta) Object.assign(this.meta, { status: 'running', updatedAt: now, waiting: undefined });
        break;
      case 'run.waiting':
        if (this.meta)
          Object.assign(this.meta, {
            status: 'waiting',
            updatedAt: now,
            waiting: { step: e.step, reason: e.reason, message: e.message },
          });
        break;
      case 'run.end':
        if (this.meta)
          Object.assign(this.meta, {
            status: e.status,
            outcome: e.outcome,
            endedAt: e.endedAt,
            updatedAt: now,
            message: e.message,
            waiting: undefined,
          });
        break;
      default:
        return;
    }
    if (this.meta) {
      this.meta.journal = { lines: this.seq, sha256: this.prev };
      writeAtomic(path.join(this.dir, 'run.json'), `${JSON.stringify(this.meta, null, 2)}\n`);
    }
  }

  /** Evidence files for one step: evidence/NNNN-<step>-<name>.json, hashed. */
  evidenceFor(stepId: string): EvidenceStore {
    return {
      save: async (name: string, data: unknown, options?: { ext?: string }): Promise<EvidenceRef> => {
        const text = typeof data === 'string' || Buffer.isBuffer(data) ? data : JSON.stringify(data, null, 2);
        const ext = options?.ext ?? (typeof data === 'string' ? 'txt' : 'json');
        const safeName = `${stepId}-${name}`.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 120);
        const file = `evidence/${String(++this.evidenceCount).padStart(4, '0')}-${safeName}.${ext.replace(/[^a-z0-9]/gi, '')}`;
        writeFileSync(path.join(this.dir, file), text);
        const ref = { name, file, sha256: sha256(text), bytes: Buffer.byteLength(text) };
        this.unnamed.set(file, { step: stepId, ref });
        return ref;
      },
      read: async (file: string) => {
        const full = path.resolve(this.dir, file);
        if (!full.startsWith(path.resolve(this.dir) + path.sep))
          throw new IrunError(Codes.USAGE, `evidence path ${file} is outside the run`);
        return readFileSync(full, 'utf8');
      },
    };
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function writeAtomic(file: string, text: string): void {
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

export function readRunMeta(dir: string): RunMeta | undefined {
  try {
    return JSON.parse(readFileSync(path.join(dir, 'run.json'), 'utf8')) as RunMeta;
  } catch {
    return undefined;
  }
}

/** Every run under `root`, newest first. */
export function listRuns(root: string): RunMeta[] {
  if (!existsSync(root)) return [];
  const out: RunMeta[] = [];
  for (const name of readdirSync(root)) {
    const dir = path.join(root, name);
    try {
      if (!statSync(dir).isDirectory()) continue;
    } catch {
      continue;
    }
    const meta = readRunMeta(dir);
    if (meta) out.push(meta);
    else if (existsSync(path.join(dir, 'journal.jsonl'))) {
      try {
        const j = readJournal(path.join(dir, 'journal.jsonl'));
        const start = j.events.find((e) => e.type === 'run.start');
        if (start && start.type === 'run.start') {
          out.push({
            runId: start.runId,
            runbook: start.runbook,
            status: 'unknown',
            actor: start.actor,
            startedAt: start.startedAt,
            updatedAt: start.startedAt,
            dryRun: start.dryRun,
            simulated: start.simulated,
            inputs: start.inputs,
            irunVersion: '',
          });
        }
      } catch {
        // unreadable run folder: skip
      }
    }
  }
  return out.sort((a, b) => b.startedAt.localeCompare(a.startedAt));
}

export interface VerifyProblem {
  kind: 'journal' | 'evidence' | 'torn';
  line?: number;
  file?: string;
  message: string;
}

/** Check the hash chain and every evidence file's hash. */
export function verifyRun(dir: string): { ok: boolean; problems: VerifyProblem[]; lines: number; evidence: number } {
  const problems: VerifyProblem[] = [];
  const journalPath = path.join(dir, 'journal.jsonl');
  let text: string;
  try {
    text = readFileSync(journalPath, 'utf8');
  } catch {
    return {
      ok: false,
      problems: [{ kind: 'journal', message: `no journal at ${journalPath}` }],
      lines: 0,
      evidence: 0,
    };
  }
  const raw = text.split('\n');
  let prev = ZERO_HASH;
  let count = 0;
  let evidence = 0;
  const head = readRunMeta(dir)?.journal;
  for (let i = 0; i < raw.length; i++) {
    const line = raw[i];
    if (line === '' && i === raw.length - 1) break;
    let e: RunEvent & { seq?: number; prev?: string };
    try {
      e = JSON.parse(line);
    } catch {
      if (i === raw.length - 1) {
        problems.push({
          kind: 'torn',
          line: i + 1,
          message: `line ${i + 1} is a torn write (the process stopped mid-line); it is ignored`,
        });
        break;
      }
      problems.push({ kind: 'journal', line: i + 1, message: `line ${i + 1} is not valid JSON` });
      break;
    }
    if (e.prev !== prev) {
      problems.push({
        kind: 'journal',
        line: i + 1,
        message: `line ${i + 1}: hash chain broken (the line or the one before it was changed, removed or inserted)`,
      });
      break;
    }
    if (e.seq !== count + 1) {
      problems.push({
        kind: 'journal',
        line: i + 1,
        message: `line ${i + 1}: sequence number ${e.seq} where ${count + 1} was expected`,
      });
      break;
    }
    prev = sha256(line);
    count++;
    if (head && head.lines === count && head.sha256 !== prev) {
      problems.push({
        kind: 'journal',
        line: count,
        message: `line ${count} does not match the journal head recorded in run.json (the line was changed)`,
      });
      break;
    }
    if (e.type === 'evidence') {
      evidence++;
      const full = path.join(dir, e.ref.file);
      let content: Buffer;
      try {
        content = readFileSync(full);
      } catch {
        problems.push({
          kind: 'evidence',
          file: e.ref.file,
          line: i + 1,
          message: `evidence ${e.ref.file} is missing`,
        });
        continue;
      }
      if (sha256(content) !== e.ref.sha256)
        problems.push({
          kind: 'evidence',
          file: e.ref.file,
          line: i + 1,
          message: `evidence ${e.ref.file} does not match its sha256 in the journal (line ${i + 1})`,
        });
    }
  }
  if (head && count < head.lines && !problems.some((p) => p.kind === 'journal')) {
    problems.push({
      kind: 'journal',
      line: count,
      message: `the journal has ${count} lines but run.json records ${head.lines}: lines were removed`,
    });
  }
  return { ok: problems.every((p) => p.kind === 'torn'), problems, lines: count, evidence };
}
