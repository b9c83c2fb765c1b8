/** core — actions that need no cloud: log, assert, wait, webhook calls, no-op. */
import { defineAction, definePlugin, Codes, IrunError, parseDuration } from '../../engine/plugins/api.js';

const log = defineAction<{ message: string; level?: 'info' | 'warn'; data?: unknown }, { message: string }>({
  title: 'Log a message',
  description: 'Write a message to the run log and journal (and the console).',
  input: {
    type: 'object',
    properties: {
      message: { type: 'string', description: 'The text to log.' },
      level: { type: 'string', enum: ['info', 'warn'], description: 'Log level (default info).' },
      data: { description: 'Structured data to attach.' },
    },
    required: ['message'],
    additionalProperties: false,
  },
  output: { type: 'object', properties: { message: { type: 'string' } }, required: ['message'] },
  effect: 'read',
  permissions: [],
  local: true,
  example: { message: 'Bucket policy captured' },
  async run(ctx, input) {
    const data = input.data === undefined ? undefined : { data: input.data };
    if (input.level === 'warn') ctx.log.warn(input.message, data);
    else ctx.log.info(input.message, data);
    return { message: input.message };
  },
});

const assert = defineAction<{ that: unknown; message?: string }, { ok: true }>({
  title: 'Assert a condition',
  description: 'Fail the step with a message unless the condition is truthy (false, null, 0, "" and [] fail).',
  input: {
    type: 'object',
    properties: {
      that: { description: 'The condition, usually a template such as "{{ gt (length steps.x.output.findings) 0 }}".' },
      message: { type: 'string', description: 'Message of the failure.' },
    },
    required: ['that'],
    additionalProperties: false,
  },
  output: { type: 'object', properties: { ok: { type: 'boolean' } }, required: ['ok'] },
  effect: 'read',
  permissions: [],
  local: true,
  example: { that: true, message: 'must hold' },
  async run(_ctx, input) {
    const v = input.that;
    const ok = !(
      v === false ||
      v === null ||
      v === undefined ||
      v === 0 ||
      v === '' ||
      (Array.isArray(v) && v.length === 0)
    );
    if (!ok) throw new IrunError(Codes.ASSERTION, input.message ?? 'assertion failed');
    return { ok: true };
  },
});

const wait = defineAction<{ duration: string | number; reason?: string }, { waitedMs: number }>({
  title: 'Wait',
  description:
    'Sleep for a duration (e.g. while IAM changes propagate); ends early when the run is cancelled or the step times out.',
  input: {
    type: 'object',
    properties: {
      duration: { type: ['string', 'number'], description: 'How long: 500ms, 30s, 5m, or milliseconds.' },
      reason: { type: 'string', description: 'Why (shown in the log).' },
    },
    required: ['duration'],
    additionalProperties: false,
  },
  output: { type: 'object', properties: { waitedMs: { type: 'number' } }, required: ['waitedMs'] },
  effect: 'read',
  permissions: [],
  example: { duration: '30s', reason: 'IAM propagation' },
  async run(ctx, input) {
    const ms = parseDuration(input.duration, 'core.wait duration') ?? 0;
    if (input.reason) ctx.log.info(`waiting ${input.duration}: ${input.reason}`);
    const start = Date.now();
    await ctx.sleep(ms);
    return { waitedMs: Date.now() - start };
  },
});

interface HttpInput {
  url: string;
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  headers?: Record<string, string>;
  body?: unknown;
  timeout?: string | number;
  expectStatus?: number[];
}

const http = defineAction<HttpInput, { status: number; headers: Record<string, string>; body: unknown }>({
  title: 'HTTP request (webhook)',
  description:
    'Call a webhook or ticketing API (Slack, Teams, Jira, PagerDuty ...): method, headers, JSON body, timeout. Fails on a status outside expectStatus (default 2xx). Header values are never logged.',
  input: {
    type: 'object',
    properties: {
      url: { type: 'string', format: 'uri', description: 'http(s) URL.' },
      method: {
        type: 'string',
        enum: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
        description: 'Default POST when a body is given, else GET.',
      },
      headers: {
        type: 'object',
        additionalProperties: { type: 'string' },
        description: 'Request headers (e.g. Authorization).',
      },
      body: { description: 'JSON body (objects are serialised; strings are sent as is).' },
      timeout: { type: ['string', 'number'], description: 'Request timeout (default 30s).' },
      expectStatus: {
        type: 'array',
        items: { type: 'integer' },
        description: 'Accepted status codes (default any 2xx).',
      },
    },
    required: ['url'],
    additionalProperties: false,
  },
  output: {
    type: 'object',
    properties: { status: { type: 'integer' }, headers: { type: 'object' }, body: {} },
    required: ['status', 'headers'],
  },
  effect: 'mutate',
  permissions: [],
  example: { url: 'https://hooks.example.com/incident', body: { text: 'S3 incident opened' } },
  async preview(_ctx, input) {
    const method = input.method ?? (input.body === undefined ? 'GET' : 'POST');
    return { summary: `${method} ${redactUrl(input.url)}`, details: { body: input.body } };
  },
  reversible: () => 'a webhook call cannot be taken back',
  async run(ctx, input) {
    if (!/^https?:\/\//i.test(input.url))
      throw new IrunError(
        Codes.ACTION_INPUT,
        `core.http: only http(s) URLs are allowed, got '${redactUrl(input.url)}'`,
      );
    const method = input.method ?? (input.body === undefined ? 'GET' : 'POST');
    const timeoutMs = parseDuration(input.timeout, 'core.http timeout') ?? 30_000;
    const signal = AbortSignal.any([ctx.signal, AbortSignal.timeout(timeoutMs)]);
    const headers: Record<string, string> = { 'user-agent': `irun/${ctx.version}`, ...(input.headers ?? {}) };
    let body: string | undefined;
    if (input.body !== undefined) {
      body = typeof input.body === 'string' ? input.body : JSON.stringify(input.body);
      if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type'))
        headers['content-type'] = 'application/json';
    }
    let res: Response;
    try {
      res = await fetch(input.url, { method, headers, body, signal });
    } catch (cause) {
      const timedOut = (cause as Error).name === 'TimeoutError';
      throw new IrunError(
        timedOut ? Codes.TIMEOUT : 'IRUN_HTTP_ERROR',
        `core.http ${method} ${redactUrl(input.url)}: ${timedOut ? `no answer within ${timeoutMs}ms` : (cause as Error).message}`,
        { cause },
      );
    }
    const text = await res.text();
    let parsed: unknown = text;
    if ((res.headers.get('content-type') ?? '').includes('json')) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = text;
      }
    }
    const ok = input.expectStatus ? input.expectStatus.includes(res.status) : res.status >= 200 && res.status < 300;
    if (!ok) {
      throw new IrunError('IRUN_HTTP_STATUS', `core.http ${method} ${redactUrl(input.url)} answered ${res.status}`, {
        details: { status: res.status, body: text.slice(0, 500) },
      });
    }
    const outHeaders: Record<string, string> = {};
    res.headers.forEach((v, k) => {
      if (!/^(set-cookie|authorization)$/i.test(k)) outHeaders[k] = v;
    });
    return { status: res.status, headers: outHeaders, body: parsed };
  },
});

/** Query strings of webhook URLs often carry tokens: keep only origin and path. */
function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}${u.search ? '?…' : ''}`;
  } catch {
    return '(invalid URL)';
  }
}

const noop = defineAction<Record<string, unknown>, { ok: true; echo?: unknown }>({
  title: 'Do nothing',
  description:
    'Does nothing and returns its input as `echo`; a placeholder while drafting a runbook, and the unit of engine benchmarks.',
  input: {
    type: 'object',
    properties: { echo: { description: 'Returned as output.echo.' } },
    additionalProperties: false,
  },
  output: { type: 'object', properties: { ok: { type: 'boolean' }, echo: {} }, required: ['ok'] },
  effect: 'read',
  permissions: [],
  local: true,
  example: {},
  async run(_ctx, input) {
    return input.echo === undefined ? { ok: true } : { ok: true, echo: input.echo };
  },
});

export default definePlugin({
  namespace: 'core',
  description: 'Actions that need no cloud: logging, assertions, waiting, webhooks.',
  actions: { log, assert, wait, http, noop },
});
