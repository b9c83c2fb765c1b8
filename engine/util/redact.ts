/**
 * Redaction of secrets before anything is written or printed: values of inputs marked
 * `secret: true`, and anything shaped like an AWS secret access key or session token.
 */
export const REDACTED = '[REDACTED]';

// AWS secret access keys are 40 characters of base64; session tokens are long base64 blobs.
const SECRET_KEY_NAMES =
  /^(secretaccesskey|aws_secret_access_key|sessiontoken|aws_session_token|password|secret|token|authorization|x-amz-security-token)$/i;
const SECRET_ASSIGN =
  /((?:aws_)?secret_?access_?key|session_?token|x-amz-security-token)(["']?\s*[:=]\s*["']?)([A-Za-z0-9/+=]{16,})/gi;
const SESSION_TOKEN = /\b(?:IQoJb3JpZ2lu|FwoGZXIvYXdz|AQoD)[A-Za-z0-9/+=]{40,}/g;

export class Redactor {
  private readonly values = new Set<string>();

  /** Register a secret value (ignored when too short to be meaningful). */
  add(value: unknown): void {
    if (typeof value === 'string' && value.length >= 4) this.values.add(value);
    else if (typeof value === 'number') this.values.add(String(value));
  }

  get size(): number {
    return this.values.size;
  }

  redactString(text: string): string {
    let out = text;
    for (const v of this.values) if (out.includes(v)) out = out.split(v).join(REDACTED);
    out = out.replace(SECRET_ASSIGN, (_m, k: string, sep: string) => `${k}${sep}${REDACTED}`);
    out = out.replace(SESSION_TOKEN, REDACTED);
    return out;
  }

  /** A deep copy of `value` with secrets replaced; keys that name secrets are redacted whole. */
  redact<T>(value: T): T {
    return this.walk(value, 0) as T;
  }

  private walk(value: unknown, depth: number): unknown {
    if (typeof value === 'string') return this.redactString(value);
    if (value === null || typeof value !== 'object' || depth > 64) return value;
    if (Array.isArray(value)) return value.map((v) => this.walk(v, depth + 1));
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      const val =
        SECRET_KEY_NAMES.test(k) && v !== null && v !== '' && typeof v !== 'object'
          ? REDACTED
          : this.walk(v, depth + 1);
      // defineProperty: an own key named "__proto__" stays data and never sets a prototype.
      Object.defineProperty(out, k, { value: val, enumerable: true, writable: true, configurable: true });
    }
    return out;
  }
}
