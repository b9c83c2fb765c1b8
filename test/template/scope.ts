/** A scope shaped like the engine's: every declared name present, null when absent. */
import type { Scope } from '../../engine/template/index.js';

export const CLOCK = () => new Date('2024-03-05T07:08:09.010Z');

export function makeScope(extra: Record<string, unknown> = {}): Scope {
  const step = (output: unknown, status = 'completed') => ({
    output,
    outputs: null,
    status,
    error: null,
    visits: status === 'pending' ? 0 : 1,
  });
  return {
    inputs: { bucket: 'logs-bucket', optional: null, count: 3, accessKeyId: 'AKIAABCDEFGHIJKLMNOP' },
    vars: {
      list: ['a', 'b', 'c'],
      empty: [],
      obj: { a: [1, 2], b: 'x' },
      records: [
        { name: 'a', n: 1, public: true, tags: { env: 'prod' } },
        { name: 'b', n: 2, public: false, tags: { env: 'dev' } },
        { name: 'c', n: 3, public: true, tags: { env: 'prod' } },
      ],
      html: '<b>"Tom & Jerry"</b>',
      nul: 'a\u0000b',
      text: "O'Brien",
      when: '2024-02-29T23:30:00.000Z',
    },
    steps: {
      intake: step('alert'),
      'analyzer-buckets': step({ findings: [{ resource: 'arn:aws:s3:::b1', status: 'ACTIVE' }] }),
      later: step(null, 'pending'),
    },
    parts: { gather: { status: 'running', visits: 1 }, contain: { status: 'pending', visits: 0 } },
    run: { id: 'r-1', actor: 'alice', dryRun: false, simulated: false, startedAt: '2024-03-05T07:00:00.000Z' },
    ...extra,
  };
}
