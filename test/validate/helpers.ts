/** A registry with small test actions, and fixture paths, for the validator tests. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineAction, definePlugin, type JsonSchema } from '../../engine/plugins/api.js';
import { Registry } from '../../engine/plugins/registry.js';

export const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');

const act = (input: JsonSchema) =>
  defineAction({
    description: 'test action',
    effect: 'read',
    permissions: [],
    input,
    output: {},
    run: async () => ({}),
  });

export function testRegistry(): Registry {
  const registry = new Registry({ builtins: false });
  registry.addPack(
    definePlugin({
      namespace: 'demo',
      actions: {
        noop: act({ type: 'object', additionalProperties: false, properties: {} }),
        echo: act({
          type: 'object',
          additionalProperties: false,
          required: ['message'],
          properties: { message: { type: 'string' }, count: { type: 'integer', minimum: 1 } },
        }),
        tag: act({
          type: 'object',
          additionalProperties: false,
          required: ['bucket', 'tags'],
          properties: {
            bucket: { type: 'string', pattern: '^[a-z0-9.-]{3,63}$' },
            tags: { type: 'object', additionalProperties: { type: 'string' } },
            mode: { anyOf: [{ enum: ['merge', 'replace'] }, { type: 'integer' }] },
          },
        }),
      },
    }),
  );
  return registry;
}
