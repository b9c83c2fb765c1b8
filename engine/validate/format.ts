/**
 * Printing validation results: stylish (ESLint-like, with the source line and a caret), json,
 * github (workflow command annotations) and junit (one testsuite per file).
 */
import type { Diagnostic } from '../diagnostics.js';
import { toSarif } from '../report/sarif.js';

export type Format = 'stylish' | 'json' | 'github' | 'junit' | 'sarif';

export interface FormatInput {
  file: string;
  diagnostics: Diagnostic[];
  /** The source text, for the excerpt under each stylish diagnostic. */
  loaded?: { text: string };
}

export interface FormatOptions {
  color?: boolean;
}

export const FORMATS: readonly Format[] = ['stylish', 'json', 'github', 'junit', 'sarif'];

export function formatDiagnostics(results: FormatInput[], format: Format, options: FormatOptions = {}): string {
  switch (format) {
    case 'stylish':
      return stylish(results, options.color ?? false);
    case 'json':
      return JSON.stringify(
        results.flatMap((r) => r.diagnostics),
        null,
        2,
      );
    case 'github':
      return github(results);
    case 'junit':
      return junit(results);
    case 'sarif':
      return JSON.stringify(toSarif(results), null, 2) + '\n';
  }
}

const paint = (on: boolean, code: number) => (s: string) => (on ? `\u001b[${code}m${s}\u001b[0m` : s);

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function stylish(results: FormatInput[], color: boolean): string {
  const red = paint(color, 31);
  const yellow = paint(color, 33);
  const dim = paint(color, 2);
  const bold = paint(color, 1);
  const out: string[] = [];
  let errors = 0;
  let warnings = 0;
  for (const r of results) {
    if (r.diagnostics.length === 0) continue;
    out.push(bold(r.file));
    const lines = r.loaded?.text.split(/\r?\n/) ?? [];
    const diags = [...r.diagnostics].sort((a, b) => a.line - b.line || a.column - b.column);
    const posWidth = Math.max(...diags.map((d) => `${d.line}:${d.column}`.length));
    for (const d of diags) {
      if (d.severity === 'error') errors++;
      else warnings++;
      const sev = d.severity === 'error' ? red('error  ') : yellow('warning');
      out.push(`  ${dim(`${d.line}:${d.column}`.padEnd(posWidth))}  ${sev}  ${d.message}  ${dim(d.code)}`);
      const source = lines[d.line - 1];
      if (source === undefined || (source === '' && d.line > lines.length)) continue;
      const gutter = String(d.line);
      // carets under the range on its first line; tabs kept so the carets line up
      const start = Math.min(Math.max(d.column - 1, 0), source.length);
      const stop =
        d.endLine === d.line
          ? Math.min(Math.max(d.endColumn - 1, start + 1), Math.max(source.length, start + 1))
          : Math.max(source.length, start + 1);
      const pad = source.slice(0, start).replace(/[^\t]/g, ' ');
      out.push(`    ${dim(`${gutter} |`)} ${source}`);
      out.push(
        `    ${' '.repeat(gutter.length)} ${dim('|')} ${pad}${(d.severity === 'error' ? red : yellow)('^'.repeat(stop - start))}`,
      );
    }
    out.push('');
  }
  const total = errors + warnings;
  if (total === 0) {
    out.push(`✔ ${plural(results.length, 'file')} checked, no problems`);
  } else {
    const summary = `✖ ${plural(total, 'problem')} (${plural(errors, 'error')}, ${plural(warnings, 'warning')})`;
    out.push(errors ? red(bold(summary)) : yellow(bold(summary)));
  }
  return out.join('\n') + '\n';
}

/** GitHub workflow commands: `%`, CR and LF are escaped in data; `:` and `,` too in properties. */
function ghData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}
function ghProp(s: string): string {
  return ghData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

function github(results: FormatInput[]): string {
  const lines: string[] = [];
  for (const r of results) {
    for (const d of r.diagnostics) {
      const kind = d.severity === 'error' ? 'error' : 'warning';
      const props = [
        `file=${ghProp(d.file)}`,
        `line=${d.line}`,
        `col=${d.column}`,
        `endLine=${d.endLine}`,
        `endColumn=${d.endColumn}`,
        `title=${ghProp(d.code)}`,
      ];
      lines.push(`::${kind} ${props.join(',')}::${ghData(d.message)}`);
    }
  }
  return lines.length ? lines.join('\n') + '\n' : '';
}

/** XML 1.0 text: escape markup and drop characters XML cannot hold. */
export function xmlEscape(s: string): string {
  return s
    .replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

function junit(results: FormatInput[]): string {
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  const total = results.reduce((n, r) => n + Math.max(1, r.diagnostics.length), 0);
  const failures = results.reduce((n, r) => n + r.diagnostics.length, 0);
  out.push(`<testsuites name="irun validate" tests="${total}" failures="${failures}" errors="0">`);
  for (const r of results) {
    const file = xmlEscape(r.file);
    out.push(
      `  <testsuite name="${file}" tests="${Math.max(1, r.diagnostics.length)}" failures="${r.diagnostics.length}" errors="0">`,
    );
    if (r.diagnostics.length === 0) out.push(`    <testcase name="valid" classname="${file}"/>`);
    for (const d of r.diagnostics) {
      const where = `${d.file}:${d.line}:${d.column}`;
      out.push(`    <testcase name="${xmlEscape(`${d.code} ${d.line}:${d.column}`)}" classname="${file}">`);
      out.push(
        `      <failure type="${xmlEscape(d.severity)}" message="${xmlEscape(d.message)}">${xmlEscape(`${d.severity}: ${d.message} (${d.code}) at ${where}`)}</failure>`,
      );
      out.push('    </testcase>');
    }
    out.push('  </testsuite>');
  }
  out.push('</testsuites>');
  return out.join('\n') + '\n';
}
