/**
 * The built CLI in a real pseudo-terminal (node-pty), its output rendered by a headless terminal
 * emulator (xterm.js), so a test reads the screen a responder reads — after every carriage
 * return, line erase and cursor move — and types keys into it.
 */
import { spawn, type IPty } from '@lydell/node-pty';
import type { Terminal as XTerm } from '@xterm/headless';
import { createRequire } from 'node:module';
import { BIN, ROOT } from '../cli/helpers.js';

// The package is CommonJS; loaded through require so the class is found the same way under tsx and node.
const { Terminal } = createRequire(import.meta.url)('@xterm/headless') as { Terminal: typeof XTerm };

export const KEYS = { enter: '\r', down: '\u001b[B', up: '\u001b[A', space: ' ', ctrlC: '\u0003' } as const;

export interface PtySession {
  /** The visible screen now, one string per row, trailing blanks trimmed. */
  screen(): string[];
  /** Everything the program wrote, escape sequences removed (for messages). */
  transcript(): string;
  type(keys: string): void;
  /**
   * Resolves once the screen shows `text` and the program has then drawn nothing for `quietMs`
   * (a spinner redraws ten times a second, so a screen it owns never settles). Rejects with the
   * screen when that does not happen within `limitMs`.
   */
  settled(text: string | RegExp, quietMs?: number, limitMs?: number): Promise<string[]>;
  exited: Promise<{ exitCode: number; signal?: number }>;
  kill(): void;
}

export function irunPty(
  args: string[],
  options: { cwd: string; env?: Record<string, string | undefined>; cols?: number; rows?: number },
): PtySession {
  const cols = options.cols ?? 120;
  const rows = options.rows ?? 40;
  const term = new Terminal({ cols, rows, allowProposedApi: true, scrollback: 1000 });
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries({
    ...process.env,
    TERM: 'xterm-256color',
    IRUN_ACTOR: 'tester@pty',
    ...options.env,
  }))
    if (v !== undefined) env[k] = v;
  // A prompt is only offered where nobody said "no terminal here".
  delete env.CI;
  const child: IPty = spawn(process.execPath, [BIN, ...args], {
    cols,
    rows,
    cwd: options.cwd ?? ROOT,
    env,
    name: 'xterm-256color',
  });
  let raw = '';
  let lastData = Date.now();
  const waiters = new Set<() => void>();
  child.onData((d) => {
    raw += d;
    lastData = Date.now();
    term.write(d, () => {
      for (const w of waiters) w();
    });
  });
  const exited = new Promise<{ exitCode: number; signal?: number }>((resolve) => child.onExit(resolve));
  let done = false;
  void exited.then(() => {
    done = true;
    for (const w of waiters) w();
  });

  const screen = () => {
    const buf = term.buffer.active;
    const out: string[] = [];
    for (let y = 0; y < term.rows; y++) out.push(buf.getLine(buf.viewportY + y)?.translateToString(true) ?? '');
    return out;
  };
  const matches = (lines: string[], text: string | RegExp) => {
    const joined = lines.join('\n');
    return typeof text === 'string' ? joined.includes(text) : text.test(joined);
  };
  const transcript = () =>
    raw.replace(/\u001b\[[0-9;?]*[ -/]*[@-~]|\u001b[()][A-Za-z0-9]|\u001b[=>78]/g, '').replace(/\r(?!\n)/g, '\n');

  const settled = (text: string | RegExp, quietMs = 400, limitMs = 20_000) =>
    new Promise<string[]>((resolve, reject) => {
      const started = Date.now();
      let timer: NodeJS.Timeout | undefined;
      const check = () => {
        if (timer) clearTimeout(timer);
        const lines = screen();
        const quietFor = Date.now() - lastData;
        if (matches(lines, text) && quietFor >= quietMs) {
          waiters.delete(check);
          resolve(lines);
          return;
        }
        if (Date.now() - started > limitMs || (done && !matches(lines, text))) {
          waiters.delete(check);
          reject(
            new Error(
              `the screen did not settle showing ${String(text)}${done ? ' (the program ended)' : ''}:\n${lines.join('\n').trimEnd()}`,
            ),
          );
          return;
        }
        timer = setTimeout(check, Math.max(20, quietMs - quietFor));
      };
      waiters.add(check);
      check();
    });

  return {
    screen,
    transcript,
    type: (keys) => child.write(keys),
    settled,
    exited,
    kill: () => {
      if (!done) child.kill();
    },
  };
}
