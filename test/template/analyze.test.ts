import { expect } from 'chai';
import { HELPER_NAMES, analyze } from '../../engine/template/index.js';

const paths = (text: string) => analyze(text).refs.map((r) => r.path.join('.'));
const helperNames = (text: string) => analyze(text).helpers.map((h) => h.name);

describe('template analysis', () => {
  describe('refs to the top-level scope', () => {
    const rows: [string, string[]][] = [
      ['{{ steps.intake.output.choice }}', ['steps.intake.output.choice']],
      [
        '{{ steps.analyzer-buckets.output.findings.[0].resource }}',
        ['steps.analyzer-buckets.output.findings.0.resource'],
      ],
      ['plain text', []],
      ['{{ "literal" }} {{ 1 }} {{ null }}', []],
      ['{{ eq (lower inputs.bucket) vars.name }}', ['inputs.bucket', 'vars.name']],
      ['{{ dateAdd (now) days=inputs.days }}', ['inputs.days']],
      ['{{ this }} {{ this.inputs.x }}', ['inputs.x']],
      ['{{ @root.run.id }}', ['run.id']],
      ['{{#each steps.list.output}}{{ name }} {{ @index }} {{ this }}{{/each}}', ['steps.list.output']],
      ['{{#each steps.list.output as |f i|}}{{ f.name }} {{ i }}{{/each}}', ['steps.list.output']],
      [
        '{{#each steps.list.output}}{{ ../inputs.bucket }} {{ @root.vars.x }}{{/each}}',
        ['steps.list.output', 'inputs.bucket', 'vars.x'],
      ],
      ['{{#each a}}{{#each b}}{{ ../c }} {{ ../../inputs.d }}{{/each}}{{/each}}', ['a', 'inputs.d']],
      ['{{#with vars.obj}}{{ field }}{{else}}{{ inputs.fallback }}{{/with}}', ['vars.obj', 'inputs.fallback']],
      [
        '{{#if inputs.bucket}}{{ steps.x.output }}{{else}}{{ vars.y }}{{/if}}',
        ['inputs.bucket', 'steps.x.output', 'vars.y'],
      ],
      ['{{ item.name }} {{ result.Items }}', ['item.name', 'result.Items']],
      ['{{!-- {{ inputs.hidden }} --}}', []],
      ['{{ first }}', []],
    ];
    for (const [text, expected] of rows) {
      it(text, () => {
        const a = analyze(text);
        expect(a.ok).to.equal(true);
        expect(paths(text)).to.deep.equal(expected);
      });
    }

    it('gives 1-based positions within the text', () => {
      const text = 'Bucket {{ inputs.bucket }}\n  and {{ eq steps.a.status "completed" }}';
      const a = analyze(text);
      expect(a.refs).to.deep.equal([
        { path: ['inputs', 'bucket'], line: 1, column: 11 },
        { path: ['steps', 'a', 'status'], line: 2, column: 13 },
      ]);
      expect(a.helpers).to.deep.equal([{ name: 'eq', line: 2, column: 10 }]);
    });
  });

  describe('helpers', () => {
    const rows: [string, string[]][] = [
      ['{{ now }}', ['now']],
      ['{{ dateAdd (now) days=-7 }}', ['dateAdd', 'now']],
      ['{{#if (and a b)}}x{{/if}}', ['if', 'and']],
      ['{{#each xs}}{{ json this }}{{/each}}', ['each', 'json']],
      ['{{ bogus inputs.x }}', ['bogus']],
      ['{{ not (lenght x) }}', ['not', 'lenght']],
      ['{{ inputs.bucket }}', []],
    ];
    for (const [text, expected] of rows) {
      it(text, () => {
        expect(analyze(text).ok).to.equal(true);
        expect(helperNames(text)).to.deep.equal(expected);
      });
    }

    it('unknown helpers are the names not in HELPER_NAMES', () => {
      const a = analyze('{{ lenght vars.list }} {{ eq (uper x) 1 }} {{#each xs}}{{/each}}');
      const unknown = a.helpers.filter((h) => !HELPER_NAMES.includes(h.name));
      expect(unknown).to.deep.equal([
        { name: 'lenght', line: 1, column: 4 },
        { name: 'uper', line: 1, column: 31 },
      ]);
    });

    it('a block parameter shadows a helper of the same name', () => {
      const a = analyze('{{#each xs as |first|}}{{ first }}{{/each}}');
      expect(a.helpers.map((h) => h.name)).to.deep.equal(['each']);
      expect(a.refs.map((r) => r.path.join('.'))).to.deep.equal(['xs']);
    });
  });

  describe('broken templates', () => {
    const rows: [string, RegExp, number, number][] = [
      ['{{ inputs.bucket }', /unexpected character/, 1, 18],
      ['line one\nline two {{ x', /unexpected/, 2, 13],
      ['{{#if a}}\n  x\n{{/iff}}', /doesn't match/, 1, 4],
      ['text {{> partial }}', /partials are not supported/, 1, 6],
      ['{{#each xs}}\n{{ inputs.y }}\n{{/each}}', /'inputs.y' inside/, 2, 4],
      ['{{ "unterminated }}', /unexpected|unrecognized/, 1, 4],
    ];
    for (const [text, message, line, column] of rows) {
      it(JSON.stringify(text), () => {
        const a = analyze(text);
        expect(a.ok).to.equal(false);
        expect(a.error?.message).to.match(message);
        expect([a.error?.line, a.error?.column]).to.deep.equal([line, column]);
        expect(a.refs).to.deep.equal([]);
        expect(a.helpers).to.deep.equal([]);
      });
    }
  });
});
