/**
 * Value semantics shared by the interpreter and the helpers: own-property lookups, deep
 * equality, truthiness, and how a value is rendered into text.
 */

/** A plain data object (object literal, JSON.parse result, or null-prototype object). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/** Read an own property of an object or array; anything else, or a missing key, gives null. */
export function getOwn(value: unknown, key: string): unknown {
  if (value === null || typeof value !== 'object') return null;
  if (!Object.hasOwn(value, key)) return null;
  const v = (value as Record<string, unknown>)[key];
  return v === undefined ? null : v;
}

/** Follow a dotted path of own properties ("a.b.c"); null when any step is missing. */
export function getPath(value: unknown, path: string): unknown {
  let cur = value;
  for (const seg of path.split('.')) {
    cur = getOwn(cur, seg);
    if (cur === null) return null;
  }
  return cur;
}

/** Set an own property, even one named "__proto__", without touching any prototype. */
export function defineOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Condition semantics for `if:`: false for null, undefined, false, 0, NaN, '' and []. */
export function truthy(value: unknown): boolean {
  if (Array.isArray(value)) return value.length > 0;
  return Boolean(value);
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a === 'number' && typeof b === 'number') return Number.isNaN(a) && Number.isNaN(b);
  if (a instanceof Date || b instanceof Date) {
    return a instanceof Date && b instanceof Date && a.getTime() === b.getTime();
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => deepEqual(x, b[i]));
  }
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object') {
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    if (ka.length !== kb.length) return false;
    return ka.every(
      (k) => Object.hasOwn(b, k) && deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]),
    );
  }
  return false;
}

/** How a value appears inside text: objects and arrays as JSON, null as '', dates as ISO. */
export function toText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString();
  if (typeof value === 'object') return JSON.stringify(value) ?? '';
  return String(value);
}

/** A short type name for messages. */
export function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (Array.isArray(value)) return 'array';
  if (value instanceof Date) return 'date';
  return typeof value;
}
