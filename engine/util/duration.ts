import { Codes, IrunError } from '../errors.js';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** "30s", "5m", "500ms", "1h", "1m30s" or a number of milliseconds -> milliseconds. */
export function parseDuration(value: string | number | undefined, what = 'duration'): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0)
      throw new IrunError(Codes.USAGE, `${what}: ${value} is not a valid duration`);
    return value;
  }
  const text = String(value).trim();
  if (/^\d+$/.test(text)) return Number(text);
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;
  let total = 0;
  let matched = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) {
    total += Number(m[1]) * UNITS[m[2]];
    matched = re.lastIndex;
  }
  if (matched !== text.length || matched === 0) {
    throw new IrunError(Codes.USAGE, `${what}: '${text}' is not a duration (use e.g. 500ms, 30s, 5m, 1h)`);
  }
  return total;
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)}s`;
  const m = Math.floor(ms / 60_000);
  const s = Math.round((ms % 60_000) / 1000);
  return `${m}m${s ? `${s}s` : ''}`;
}
