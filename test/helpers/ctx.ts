/** Test doubles for what the engine injects into actions. */
import { createHash } from 'node:crypto';
import type { ActionContext, AwsSettings, EvidenceRef } from '../../engine/plugins/api.js';

export interface TestContext extends ActionContext {
  saved: { name: string; data: unknown; ref: EvidenceRef }[];
  logs: { level: string; message: string; data?: Record<string, unknown> }[];
  progressed: unknown[];
  controller: AbortController;
}

/** An ActionContext for unit tests of actions: evidence and logs kept in memory. */
export function makeCtx(
  options: { dryRun?: boolean; aws?: AwsSettings; stepId?: string; action?: string; now?: Date } = {},
): TestContext {
  const saved: TestContext['saved'] = [];
  const logs: TestContext['logs'] = [];
  const progressed: unknown[] = [];
  const controller = new AbortController();
  const ctx: TestContext = {
    runId: 'test-run',
    stepId: options.stepId ?? 'test-step',
    action: options.action ?? 'test.action',
    dryRun: options.dryRun ?? false,
    signal: controller.signal,
    controller,
    aws: { region: 'us-east-1', ...(options.aws ?? {}) },
    shared: new Map(),
    version: '0.0.0-test',
    saved,
    logs,
    progressed,
    log: {
      debug: (message, data) => logs.push({ level: 'debug', message, data }),
      info: (message, data) => logs.push({ level: 'info', message, data }),
      warn: (message, data) => logs.push({ level: 'warn', message, data }),
    },
    evidence: {
      async save(name, data) {
        const text = typeof data === 'string' ? data : JSON.stringify(data);
        const ref = {
          name,
          file: `evidence/${saved.length + 1}-${name}.json`,
          sha256: createHash('sha256').update(text).digest('hex'),
          bytes: Buffer.byteLength(text),
        };
        saved.push({ name, data, ref });
        return ref;
      },
      async read(file) {
        const hit = saved.find((s) => s.ref.file === file);
        if (!hit) throw new Error(`no evidence ${file}`);
        return typeof hit.data === 'string' ? hit.data : JSON.stringify(hit.data);
      },
    },
    now: () => options.now ?? new Date(),
    progress: (p) => progressed.push(p),
    sleep: (ms) =>
      new Promise((resolve, reject) => {
        if (controller.signal.aborted) return reject(controller.signal.reason);
        const t = setTimeout(resolve, ms);
        controller.signal.addEventListener(
          'abort',
          () => {
            clearTimeout(t);
            reject(controller.signal.reason);
          },
          { once: true },
        );
      }),
  };
  return ctx;
}
