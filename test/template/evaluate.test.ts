import { expect } from 'chai';
import { Codes } from '../../engine/errors.js';
import { TemplateError, evaluate, evaluateString, hasTemplate, render, truthy } from '../../engine/template/index.js';
import { TEMPLATE_CACHE_MAX, cacheSize } from '../../engine/template/parse.js';
import { CLOCK, makeScope } from './scope.js';

function thrown(fn: () => unknown): TemplateError {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(TemplateError);
    return err as TemplateError;
  }
  return expect.fail('expected a TemplateError');
}

describe('template evaluation', () => {
  describe('typed values', () => {
    const rows: [string, unknown][] = [
      ['{{ 42 }}', 42],
      ['{{ -1.5 }}', -1.5],
      ['{{ true }}', true],
      ['{{ false }}', false],
      ['{{ null }}', null],
      ['{{ undefined }}', null],
      ['{{ "text" }}', 'text'],
      ['{{ inputs.count }}', 3],
      ['{{ inputs.optional }}', null],
      ['{{ run.dryRun }}', false],
      ['{{ parts.contain.visits }}', 0],
      ['{{ vars.obj }}', { a: [1, 2], b: 'x' }],
      ['{{ vars.list }}', ['a', 'b', 'c']],
      ['{{ steps.analyzer-buckets.output.findings.[0].status }}', 'ACTIVE'],
      ['{{{ vars.obj }}}', { a: [1, 2], b: 'x' }],
      ['  {{ vars.list }}\n', ['a', 'b', 'c']],
      ['\t{{inputs.count}} ', 3],
    ];
    for (const [template, expected] of rows) {
      it(`${JSON.stringify(template)} -> ${JSON.stringify(expected)}`, () => {
        expect(evaluateString(template, makeScope())).to.deep.equal(expected);
      });
    }

    it('a whole-value template returns the object itself; mixed text renders JSON', () => {
      const scope = makeScope();
      expect(evaluateString('{{ vars.obj }}', scope)).to.deep.equal({ a: [1, 2], b: 'x' });
      expect(evaluateString('obj={{ vars.obj }}', scope)).to.equal('obj={"a":[1,2],"b":"x"}');
      expect(evaluateString('{{ vars.list }} and {{ vars.empty }}', scope)).to.equal('["a","b","c"] and []');
    });

    it('mixed text renders numbers, booleans, null and dates as text', () => {
      const scope = makeScope({ item: { at: new Date('2024-01-02T03:04:05.000Z') } });
      expect(evaluateString('n={{ 42 }} b={{ true }} z={{ null }}|{{ inputs.optional }}|', scope)).to.equal(
        'n=42 b=true z=||',
      );
      expect(evaluateString('at {{ item.at }}', scope)).to.equal('at 2024-01-02T03:04:05.000Z');
    });

    it('two mustaches, or a mustache plus a comment, are text', () => {
      expect(evaluateString('{{ inputs.count }}{{ inputs.count }}', makeScope())).to.equal('33');
      expect(evaluateString('{{!-- note --}}{{ inputs.count }}', makeScope())).to.equal('3');
    });

    it('text without {{ is returned as is; an escaped mustache is text', () => {
      expect(evaluateString('plain }} text', makeScope())).to.equal('plain }} text');
      expect(evaluateString('\\{{ inputs.bucket }}', makeScope())).to.equal('{{ inputs.bucket }}');
    });

    it('does no HTML escaping', () => {
      expect(evaluateString('<p>{{ vars.html }}</p>', makeScope())).to.equal('<p><b>"Tom & Jerry"</b></p>');
      expect(render('{{ vars.html }}', makeScope())).to.equal('<b>"Tom & Jerry"</b>');
    });
  });

  describe('render', () => {
    it('always returns a string', () => {
      const scope = makeScope();
      expect(render('{{ vars.list }}', scope)).to.equal('["a","b","c"]');
      expect(render('{{ inputs.count }}', scope)).to.equal('3');
      expect(render('{{ inputs.optional }}', scope)).to.equal('');
      expect(render(' {{ inputs.bucket }} ', scope)).to.equal(' logs-bucket ');
      expect(render('no template', scope)).to.equal('no template');
    });
  });

  describe('strict paths', () => {
    const unknown: [string, RegExp, string[]][] = [
      ['{{ inputs.nope }}', /no input 'nope' is declared/, []],
      ['{{ inputs.buckt }}', /did you mean 'inputs.bucket'\?/, ['inputs.bucket']],
      ['{{ steps.intak.output }}', /no step 'intak' is declared.*did you mean 'steps.intake'/, ['steps.intake']],
      [
        '{{ steps.intake.outptu }}',
        /a step has no field 'outptu'.*did you mean 'steps.intake.output'/,
        ['steps.intake.output', 'steps.intake.outputs'],
      ],
      ['{{ vars.nope }}', /no var 'nope' is declared/, []],
      ['{{ parts.contian.status }}', /no part 'contian'.*did you mean 'parts.contain'/, ['parts.contain']],
      ['{{ run.user }}', /no run field 'user'/, []],
      ['{{ input.bucket }}', /unknown name 'input'.*did you mean 'inputs'/, ['inputs']],
      ['{{ process.env.HOME }}', /unknown name 'process'/, []],
      ['x {{ eq inputs.nope 1 }}', /no input 'nope'/, []],
      ['{{ @index }}', /'@index' is not defined here/, []],
      ['{{ constructor }}', /unknown name 'constructor'/, []],
      ['{{ inputs.constructor }}', /no input 'constructor'/, []],
      ['{{ steps.intake.__proto__ }}', /a step has no field '__proto__'/, []],
    ];
    for (const [template, message, suggestions] of unknown) {
      it(`${template} is TEMPLATE_UNKNOWN_PATH`, () => {
        const err = thrown(() => evaluateString(template, makeScope()));
        expect(err.code).to.equal(Codes.TEMPLATE_UNKNOWN_PATH);
        expect(err.message).to.match(message);
        expect(err.message).to.include(JSON.stringify(template));
        expect(err.suggestions).to.deep.equal(suggestions);
      });
    }

    it('reports the position of the path within the template', () => {
      const err = thrown(() => evaluateString('line one\n  and {{ inputs.nope }}', makeScope()));
      expect([err.line, err.column]).to.deep.equal([2, 10]);
      expect(err.location).to.deep.equal({ line: 2, column: 10 });
    });

    it('a declared but absent value is null; a missing path below the declared levels is null', () => {
      const scope = makeScope({ item: { name: 'x' } });
      const rows: [string, unknown][] = [
        ['{{ inputs.optional }}', null],
        ['{{ inputs.optional.deeper.still }}', null],
        ['{{ steps.later.output }}', null],
        ['{{ steps.later.output.anything }}', null],
        ['{{ steps.intake.output.length }}', null],
        ['{{ steps.analyzer-buckets.output.nope }}', null],
        ['{{ steps.analyzer-buckets.output.findings.[5].resource }}', null],
        ['{{ vars.list.length }}', 3],
        ['{{ item.missing }}', null],
        ['{{ run.id }}', 'r-1'],
      ];
      for (const [t, v] of rows) expect(evaluateString(t, scope), t).to.deep.equal(v);
    });
  });

  describe('prototype safety', () => {
    it('never reaches a prototype through constructor, __proto__ or prototype', () => {
      const scope = makeScope();
      const rows = [
        '{{ vars.obj.constructor }}',
        '{{ vars.obj.__proto__ }}',
        '{{ vars.obj.constructor.prototype }}',
        '{{ vars.list.constructor }}',
        '{{ vars.list.[0].constructor }}',
        '{{ vars.obj.hasOwnProperty }}',
        '{{ steps.intake.output.__proto__.toString }}',
        '{{ inputs.bucket.constructor.constructor }}',
      ];
      for (const t of rows) expect(evaluateString(t, scope), t).to.equal(null);
    });

    it('an own key named __proto__ (as JSON.parse makes) is plain data', () => {
      const output = JSON.parse('{"__proto__": {"polluted": "yes"}, "ok": 1}') as unknown;
      const scope = makeScope({ steps: { s: { output, outputs: null, status: 'completed', error: null, visits: 1 } } });
      expect(evaluateString('{{ steps.s.output.__proto__.polluted }}', scope)).to.equal('yes');
      expect(evaluateString('{{ keys steps.s.output }}', scope)).to.deep.equal(['__proto__', 'ok']);
      expect(evaluateString('{{ jmespath steps.s.output "__proto__.polluted" }}', scope)).to.equal('yes');
      expect(evaluateString('{{ parseJson \'{"__proto__": {"x": 1}}\' }}', scope)).to.have.own.property('__proto__');
      expect(({} as Record<string, unknown>).polluted).to.equal(undefined);
    });

    it('deep evaluation keeps an own __proto__ key as data and pollutes nothing', () => {
      const input = JSON.parse('{"__proto__": {"polluted": "{{ inputs.bucket }}"}}') as Record<string, unknown>;
      const out = evaluate(input, makeScope()) as Record<string, unknown>;
      expect(Object.getPrototypeOf(out)).to.equal(Object.prototype);
      expect(Object.hasOwn(out, '__proto__')).to.equal(true);
      expect((out['__proto__'] as Record<string, unknown>).polluted).to.equal('logs-bucket');
      expect(({} as Record<string, unknown>).polluted).to.equal(undefined);
    });
  });

  describe('data is never code', () => {
    const scope = makeScope({
      steps: {
        s: {
          output: { text: '{{ inputs.bucket }}', '{{ key }}': 'v' },
          outputs: null,
          status: 'completed',
          error: null,
          visits: 1,
        },
      },
    });

    it('an output containing {{ is returned verbatim', () => {
      expect(evaluateString('{{ steps.s.output.text }}', scope)).to.equal('{{ inputs.bucket }}');
      expect(evaluateString('got: {{ steps.s.output.text }}', scope)).to.equal('got: {{ inputs.bucket }}');
      expect(render('{{ steps.s.output.text }}', scope)).to.equal('{{ inputs.bucket }}');
    });

    it('deep evaluation does not re-evaluate what a template produced', () => {
      const out = evaluate({ a: '{{ steps.s.output }}', b: ['{{ steps.s.output.text }}'] }, scope);
      expect(out).to.deep.equal({ a: { text: '{{ inputs.bucket }}', '{{ key }}': 'v' }, b: ['{{ inputs.bucket }}'] });
    });
  });

  describe('evaluate (deep)', () => {
    it('evaluates strings in arrays and objects, never keys, and does not mutate the input', () => {
      const input = Object.freeze({
        '{{ inputs.bucket }}': '{{ inputs.bucket }}',
        list: Object.freeze(['{{ inputs.count }}', 'n={{ inputs.count }}', 7, true, null]),
        nested: Object.freeze({ deep: Object.freeze({ v: '{{ vars.obj }}' }) }),
        plain: 'no template',
      });
      const before = JSON.stringify(input);
      const out = evaluate(input, makeScope());
      expect(out).to.deep.equal({
        '{{ inputs.bucket }}': 'logs-bucket',
        list: [3, 'n=3', 7, true, null],
        nested: { deep: { v: { a: [1, 2], b: 'x' } } },
        plain: 'no template',
      });
      expect(JSON.stringify(input)).to.equal(before);
      expect(out).to.not.equal(input);
    });

    it('passes non-template scalars through', () => {
      expect(evaluate(5, makeScope())).to.equal(5);
      expect(evaluate(null, makeScope())).to.equal(null);
      expect(evaluate('x', makeScope())).to.equal('x');
    });

    it('uses the injected clock', () => {
      expect(evaluate({ since: '{{ dateAdd (now) days=-7 }}' }, makeScope(), { now: CLOCK })).to.deep.equal({
        since: '2024-02-27T07:08:09.010Z',
      });
    });
  });

  describe('block helpers in rendered text', () => {
    const rows: [string, string][] = [
      ['{{#if inputs.bucket}}known{{else}}unknown{{/if}}', 'known'],
      ['{{#if inputs.optional}}known{{else}}unknown{{/if}}', 'unknown'],
      ['{{#if vars.empty}}some{{else if vars.list}}list{{else}}none{{/if}}', 'list'],
      ['{{#unless (eq parts.contain.status "completed")}}contain first{{/unless}}', 'contain first'],
      ['{{#unless vars.list}}none{{else}}some{{/unless}}', 'some'],
      [
        '{{#each vars.list}}{{@index}}={{this}}{{#if @first}}(first){{/if}}{{#if @last}}(last){{/if}};{{/each}}',
        '0=a(first);1=b;2=c(last);',
      ],
      ['{{#each vars.obj}}{{@key}}:{{json this}} {{/each}}', 'a:[1,2] b:"x" '],
      [
        '{{#each vars.records as |r i|}}{{i}}.{{r.name}}@{{@root.inputs.bucket}} {{/each}}',
        '0.a@logs-bucket 1.b@logs-bucket 2.c@logs-bucket ',
      ],
      ['{{#each vars.records}}{{name}}/{{tags.env}}/{{../inputs.count}} {{/each}}', 'a/prod/3 b/dev/3 c/prod/3 '],
      ['{{#each vars.empty}}x{{else}}nothing{{/each}}', 'nothing'],
      ['{{#each inputs.optional}}x{{else}}nothing{{/each}}', 'nothing'],
      ['{{#with vars.obj}}{{b}} {{json a}}{{/with}}', 'x [1,2]'],
      ['{{#with inputs.optional}}x{{else}}none{{/with}}', 'none'],
      ['{{#with vars.obj as |o|}}{{o.b}}{{/with}}', 'x'],
      [
        '{{#each vars.records}}{{#each tags}}{{@../index}}{{@key}}={{this}} {{/each}}{{/each}}',
        '0env=prod 1env=dev 2env=prod ',
      ],
      ['{{#each vars.records}}{{this.name}}{{/each}}', 'abc'],
      ['{{!-- a comment --}}{{! another }}x', 'x'],
    ];
    for (const [template, expected] of rows) {
      it(template, () => {
        expect(render(template, makeScope())).to.equal(expected);
      });
    }

    it('standalone block lines leave clean Markdown', () => {
      const md =
        'Findings:\n{{#each steps.analyzer-buckets.output.findings}}\n- {{ resource }} ({{ status }})\n{{/each}}\nDone.\n';
      expect(render(md, makeScope())).to.equal('Findings:\n- arn:aws:s3:::b1 (ACTIVE)\nDone.\n');
    });

    it('a block returns text even when it is the whole value', () => {
      expect(evaluateString('{{#if true}}{{ inputs.count }}{{/if}}', makeScope())).to.equal('3');
    });

    it('#each over a scalar is a TEMPLATE_EVAL error', () => {
      const err = thrown(() => render('{{#each inputs.bucket}}x{{/each}}', makeScope()));
      expect(err.code).to.equal(Codes.TEMPLATE_EVAL);
      expect(err.message).to.match(/\{\{#each\}\} expects an array or an object, got string/);
    });

    it('data variables are strict too', () => {
      const err = thrown(() => render('{{#each vars.list}}{{@nope}}{{/each}}', makeScope()));
      expect(err.code).to.equal(Codes.TEMPLATE_UNKNOWN_PATH);
    });
  });

  describe('syntax errors', () => {
    const rows: [string, RegExp, number, number][] = [
      ['{{ inputs.bucket }', /unexpected character/, 1, 18],
      ['a\n  {{ x y z }', /unexpected character/, 2, 12],
      ['{{#if x}}a{{/iff}}', /if doesn't match iff/, 1, 4],
      ['{{#if x}}open', /end of template/, 1, 14],
      ['{{> partial}}', /partials are not supported/, 1, 1],
      ['x {{#> layout}}y{{/layout}}', /partials are not supported/, 1, 3],
      ['{{* deco}}', /decorators are not supported/, 1, 1],
      ['{{#*inline "x"}}y{{/inline}}', /decorators are not supported/, 1, 1],
      ['{{#list}}x{{/list}}', /block \{\{#list\}\} is not supported/, 1, 1],
      ['{{{{raw}}}} {{x}} {{{{/raw}}}}', /block \{\{#raw\}\} is not supported/, 1, 1],
      ['{{ if inputs.bucket }}', /'if' is a block helper/, 1, 1],
      ['{{ not (each x) }}', /'each' is a block helper/, 1, 8],
      ['{{#if a b}}x{{/if}}', /takes exactly one argument, got 2/, 1, 1],
      ['{{#each vars.list as |a b c|}}x{{/each}}', /at most 2 block parameter/, 1, 1],
      ['{{ (eq 1 1) }}', /cannot start with a subexpression/, 1, 4],
      ['{{ xs.0 }}', /an array index is written \.\[0\]/, 1, 7],
      ['{{ inputs.bucket', /end of template \(a "}}" or a closing block is missing\)/, 1, 11],
      ['{{ a b= }}', /unexpected "}}"/, 1, 9],
      [
        '{{#each vars.records}}{{ inputs.bucket }}{{/each}}',
        /'inputs.bucket' inside \{\{#each\}\}.*'@root.inputs.bucket'/,
        1,
        26,
      ],
      ['{{#with vars.obj}}{{ eq steps.intake.output 1 }}{{/with}}', /'steps.intake.output' inside/, 1, 25],
    ];
    for (const [template, message, line, column] of rows) {
      it(`${JSON.stringify(template)} at ${line}:${column}`, () => {
        const err = thrown(() => evaluateString(template, makeScope()));
        expect(err.code).to.equal(Codes.TEMPLATE_SYNTAX);
        expect(err.message).to.match(message);
        expect([err.line, err.column]).to.deep.equal([line, column]);
      });
    }

    it('a syntax error surfaces through evaluate and render too', () => {
      expect(() => evaluate({ a: ['{{ x }'] }, makeScope())).to.throw(TemplateError, /unexpected character/);
      expect(() => render('{{> p}}', makeScope())).to.throw(TemplateError, /partials/);
    });

    it('this.<name> inside a block is an explicit field of the item', () => {
      const scope = makeScope({ vars: { ...(makeScope().vars as object), rows: [{ run: 'r1' }, { run: 'r2' }] } });
      expect(render('{{#each vars.rows}}{{ this.run }} {{/each}}', scope)).to.equal('r1 r2 ');
    });
  });

  describe('truthy and hasTemplate', () => {
    const rows: [unknown, boolean][] = [
      [null, false],
      [undefined, false],
      [false, false],
      [0, false],
      [Number.NaN, false],
      ['', false],
      [[], false],
      [{}, true],
      ['0', true],
      ['false', true],
      [[0], true],
      [1, true],
      [-1, true],
      [new Date(0), true],
    ];
    for (const [value, expected] of rows) {
      it(`truthy(${JSON.stringify(value)}) is ${expected}`, () => expect(truthy(value)).to.equal(expected));
    }

    it('hasTemplate looks for {{', () => {
      expect(hasTemplate('a {{ b }}')).to.equal(true);
      expect(hasTemplate('a } b')).to.equal(false);
      expect(hasTemplate('')).to.equal(false);
    });

    it('if: conditions evaluate to typed values that truthy reads', () => {
      const scope = makeScope();
      expect(truthy(evaluateString('{{ inputs.bucket }}', scope))).to.equal(true);
      expect(truthy(evaluateString('{{ inputs.optional }}', scope))).to.equal(false);
      expect(truthy(evaluateString('{{ vars.empty }}', scope))).to.equal(false);
      expect(truthy(evaluateString('{{ eq parts.contain.status "pending" }}', scope))).to.equal(true);
    });
  });

  describe('parse cache', () => {
    it('parses each template text once and stays bounded', () => {
      const scope = makeScope();
      const text = `{{ inputs.count }} cache-${Math.random()}`;
      render(text, scope);
      const size = cacheSize();
      render(text, scope);
      expect(cacheSize()).to.equal(size);
      for (let i = 0; i < TEMPLATE_CACHE_MAX + 10; i++) render(`{{ inputs.count }} #${i}`, scope);
      expect(cacheSize()).to.equal(TEMPLATE_CACHE_MAX);
    });
  });
});
