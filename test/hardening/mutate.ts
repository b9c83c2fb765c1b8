/**
 * Mutations of the shipped runbook for the fuzz suite (and the benchmark runner): nodes deleted,
 * keys renamed, values retyped (string, number, list, map, null), nodes duplicated, ids changed,
 * templates corrupted (unbalanced braces, unknown helpers, deep paths, prototype names).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import {
  isMap,
  isScalar,
  isSeq,
  parseDocument,
  type Document,
  type Node,
  type Pair,
  type YAMLMap,
  type YAMLSeq,
} from 'yaml';

export const RUNBOOK = path.resolve('runbooks/s3-unintended-access.yaml');
export const BASE_TEXT = readFileSync(RUNBOOK, 'utf8');

/** A place in the document: an entry of a map or an item of a sequence. */
export interface Slot {
  parent: YAMLMap | YAMLSeq;
  index: number;
  /** The map entry (maps only). */
  pair?: Pair;
  key?: string;
  value: unknown;
}

export function slots(doc: Document): Slot[] {
  const out: Slot[] = [];
  const walk = (node: unknown) => {
    if (isMap(node)) {
      node.items.forEach((pair, index) => {
        out.push({
          parent: node,
          index,
          pair,
          key: isScalar(pair.key) ? String(pair.key.value) : undefined,
          value: pair.value,
        });
        walk(pair.value);
      });
    } else if (isSeq(node)) {
      node.items.forEach((item, index) => {
        out.push({ parent: node, index, value: item });
        walk(item);
      });
    }
  };
  walk(doc.contents);
  return out;
}

export const TEMPLATE_CORRUPTIONS = [
  '{{ inputs.bucket', // unbalanced
  'inputs.bucket }}',
  '{{{ inputs.bucket }}',
  '{{#if inputs.bucket}}open',
  '{{/each}}',
  '{{#each steps}}{{this}}{{/each}}',
  '{{ nosuchHelper inputs.bucket }}',
  '{{ eq }}',
  '{{ inputs.nosuch }}',
  '{{ steps.nosuch.output }}',
  '{{ steps.intake.output.a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p }}',
  '{{ inputs.__proto__.constructor }}',
  '{{ constructor.constructor "return process" }}',
  '{{ lookup inputs "constructor" }}',
  '{{> partial }}',
  '{{ ../../../etc }}',
  '{{ @root.inputs }}',
  '{{!-- unterminated comment',
  '{{ "unterminated }}',
  '{{ jmespath steps.intake.output "[?" }}',
  '{{ dateAdd (now) days="x" }}',
  '{{ (((((((((( inputs.bucket )))))))))) }}',
  '}}{{',
  '{{}}',
  '{{ vars.buckets.[0].[1].[2] }}',
];

export const KEY_NAMES = [
  'action',
  'with',
  'goto',
  'call',
  'next',
  'nxt',
  'manual',
  'steps',
  'parts',
  'id',
  'if',
  'forEach',
  'as',
  'branch',
  'default',
  'set',
  'end',
  'onError',
  'retry',
  'maxVisits',
  'outputs',
  'ask',
  'choices',
  'type',
  'inputs',
  'vars',
  'aws',
  'irun',
  'title',
  'concurrency',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  '<<',
  '',
  ' ',
  'ünïcødé',
  '{{ x }}',
];

const stepIds = (doc: Document): string[] =>
  slots(doc)
    .filter((s) => s.key === 'id' && isScalar(s.value))
    .map((s) => String((s.value as { value: unknown }).value));

export const scalarValue = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.integer(),
  fc.double({ noNaN: false }),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom(...TEMPLATE_CORRUPTIONS),
  fc.string({ unit: 'grapheme', maxLength: 8 }),
);
export const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: scalarValue },
  { weight: 1, arbitrary: fc.array(scalarValue, { maxLength: 3 }) },
  {
    weight: 1,
    arbitrary: fc.dictionary(fc.oneof(fc.constantFrom(...KEY_NAMES), fc.string({ maxLength: 6 })), scalarValue, {
      maxKeys: 3,
    }),
  },
);

export type Mutation =
  | { op: 'delete'; at: number }
  | { op: 'rename'; at: number; name: string }
  | { op: 'retype'; at: number; value: unknown }
  | { op: 'duplicate'; at: number }
  | { op: 'changeId'; at: number; id: string | number; reuse: boolean }
  | { op: 'template'; at: number; corruption: string; where: number };

export const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('delete' as const), at: fc.nat() }),
  fc.record({
    op: fc.constant('rename' as const),
    at: fc.nat(),
    name: fc.oneof(fc.constantFrom(...KEY_NAMES), fc.string({ maxLength: 10 })),
  }),
  fc.record({ op: fc.constant('retype' as const), at: fc.nat(), value: anyValue }),
  fc.record({ op: fc.constant('duplicate' as const), at: fc.nat() }),
  fc.record({
    op: fc.constant('changeId' as const),
    at: fc.nat(),
    id: fc.oneof(
      fc.string({ maxLength: 10 }),
      fc.integer(),
      fc.constantFrom('contain', 'gather', 'intake', '__proto__'),
    ),
    reuse: fc.boolean(),
  }),
  fc.record({
    op: fc.constant('template' as const),
    at: fc.nat(),
    corruption: fc.constantFrom(...TEMPLATE_CORRUPTIONS),
    where: fc.nat(),
  }),
);

export function applyMutation(doc: Document, m: Mutation): void {
  const all = slots(doc);
  if (!all.length) return;
  const pickFrom = <T>(list: T[]): T | undefined => (list.length ? list[m.at % list.length] : undefined);
  switch (m.op) {
    case 'delete': {
      const s = pickFrom(all)!;
      s.parent.items.splice(s.index, 1);
      return;
    }
    case 'rename': {
      const s = pickFrom(all.filter((x) => x.pair));
      if (s?.pair) s.pair.key = doc.createNode(m.name);
      return;
    }
    case 'retype': {
      const s = pickFrom(all)!;
      const node = doc.createNode(m.value) as Node;
      if (s.pair) s.pair.value = node;
      else (s.parent as YAMLSeq).items[s.index] = node;
      return;
    }
    case 'duplicate': {
      const s = pickFrom(all)!;
      const item = s.parent.items[s.index] as { clone?: () => unknown };
      const copy = typeof item.clone === 'function' ? item.clone() : item;
      (s.parent.items as unknown[]).splice(s.index, 0, copy);
      return;
    }
    case 'changeId': {
      const s = pickFrom(all.filter((x) => x.key === 'id' && x.pair));
      if (!s?.pair) return;
      const ids = stepIds(doc);
      s.pair.value = doc.createNode(m.reuse && ids.length ? ids[m.at % ids.length] : m.id);
      return;
    }
    case 'template': {
      const s = pickFrom(
        all.filter((x) => isScalar(x.value) && typeof (x.value as { value: unknown }).value === 'string'),
      );
      if (!s) return;
      const scalar = s.value as { value: string };
      const at = m.where % (scalar.value.length + 1);
      scalar.value = scalar.value.slice(0, at) + m.corruption + scalar.value.slice(at);
      return;
    }
  }
}

export const baseDoc = parseDocument(BASE_TEXT);

/** The shipped runbook with the mutations applied, as YAML text. */
export function mutated(muts: Mutation[]): string {
  const doc = baseDoc.clone();
  for (const m of muts) applyMutation(doc, m);
  return doc.toString({ lineWidth: 0 });
}
