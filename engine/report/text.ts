/** Terminal text helpers: colour (NO_COLOR aware) and neutralising hostile text. */

export interface Palette {
  bold(s: string): string;
  dim(s: string): string;
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  cyan(s: string): string;
  magenta(s: string): string;
}

const wrap = (open: number, close: number) => (s: string) => `\u001b[${open}m${s}\u001b[${close}m`;

export function palette(enabled: boolean): Palette {
  if (!enabled) {
    const id = (s: string) => s;
    return { bold: id, dim: id, red: id, green: id, yellow: id, cyan: id, magenta: id };
  }
  return {
    bold: wrap(1, 22),
    dim: wrap(2, 22),
    red: wrap(31, 39),
    green: wrap(32, 39),
    yellow: wrap(33, 39),
    cyan: wrap(36, 39),
    magenta: wrap(35, 39),
  };
}

export function colorEnabled(stream: NodeJS.WriteStream): boolean {
  if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '') return false;
  if (process.env.FORCE_COLOR && process.env.FORCE_COLOR !== '0') return true;
  return !!stream.isTTY;
}

/**
 * Make untrusted text safe for a terminal: control characters (ESC, CR, BEL, ...) and bidi
 * overrides become visible escapes, so data from AWS or answers cannot move the cursor, recolour
 * or rewrite what the responder sees.
 */
export function safe(text: string, keepNewlines = false): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, (c) => {
    if (keepNewlines && (c === '\n' || c === '\t')) return c;
    const code = c.charCodeAt(0);
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}…`;
}

/** A few key=value pairs that say what an output holds. */
export function summarize(value: unknown, max = 3): string {
  if (value === null || value === undefined) return '';
  if (typeof value !== 'object') return truncate(safe(String(value)), 40);
  if (Array.isArray(value)) {
    // One item (a forEach over one bucket): show what it holds.
    if (value.length === 1 && value[0] && typeof value[0] === 'object' && !Array.isArray(value[0])) {
      const inner = summarize(value[0], max);
      return inner ? `[1] ${inner}` : '[1]';
    }
    return `[${value.length}]`;
  }
  const parts: string[] = [];
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (parts.length >= max) break;
    if (v === null || v === undefined) continue;
    // Keys come from data too (tag names, object keys): as unsafe as the values.
    const key = truncate(safe(k), 32);
    if (Array.isArray(v)) parts.push(`${key}=[${v.length}]`);
    else if (typeof v === 'object') continue;
    else parts.push(`${key}=${truncate(safe(String(v)), 32)}`);
  }
  return parts.join(' ');
}
