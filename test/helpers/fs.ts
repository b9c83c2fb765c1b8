/** Temp-dir fixtures: write a {path: content} tree, remove it after the test. */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export function tempTree(files: Record<string, string> = {}): {
  dir: string;
  file(p: string): string;
  cleanup(): void;
} {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'irun-test-'));
  for (const [rel, content] of Object.entries(files)) {
    const full = path.join(dir, rel);
    mkdirSync(path.dirname(full), { recursive: true });
    writeFileSync(full, content);
  }
  return { dir, file: (p) => path.join(dir, p), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Strip the common indentation of a template literal (for inline YAML). */
export function dedent(strings: TemplateStringsArray, ...values: unknown[]): string {
  let text = strings.reduce((acc, s, i) => acc + s + (i < values.length ? String(values[i]) : ''), '');
  text = text.replace(/^\n/, '').replace(/\n[ \t]*$/, '\n');
  const indents = text
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => /^[ \t]*/.exec(l)![0].length);
  const min = indents.length ? Math.min(...indents) : 0;
  return text
    .split('\n')
    .map((l) => l.slice(min))
    .join('\n');
}
