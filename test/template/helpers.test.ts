import { expect } from 'chai';
import { Codes } from '../../engine/errors.js';
import { BLOCK_HELPERS, HELPER_NAMES, TemplateError, evaluateString } from '../../engine/template/index.js';
import { CLOCK, makeScope } from './scope.js';

type Good = [template: string, expected: unknown];
type Bad = [template: string, message: RegExp];

/** Per helper: templates with their typed results, then templates that must fail (TEMPLATE_EVAL). */
const TABLE: Record<string, { good: Good[]; bad: Bad[] }> = {
  eq: {
    good: [
      ['{{ eq 1 1 }}', true],
      ['{{ eq "1" 1 }}', false],
      ['{{ eq vars.obj (parseJson \'{"b":"x","a":[1,2]}\') }}', true],
      ['{{ eq steps.intake.output "alert" }}', true],
      ['{{ eq inputs.optional null }}', true],
    ],
    bad: [['{{ eq 1 }}', /helper 'eq' takes 2 arguments, got 1/]],
  },
  ne: {
    good: [
      ['{{ ne "a" "b" }}', true],
      ['{{ ne vars.list vars.list }}', false],
    ],
    bad: [['{{ ne 1 2 3 }}', /helper 'ne' takes 2 arguments, got 3/]],
  },
  lt: {
    good: [
      ['{{ lt 1 2 }}', true],
      ['{{ lt 2 1 }}', false],
      ['{{ lt "2024-01-01" "2024-02-01" }}', true],
    ],
    bad: [['{{ lt 1 "2" }}', /helper 'lt' expects two numbers or two strings, got number and string/]],
  },
  lte: {
    good: [
      ['{{ lte 2 2 }}', true],
      ['{{ lte 3 2 }}', false],
    ],
    bad: [['{{ lte inputs.optional 1 }}', /got null and number/]],
  },
  gt: {
    good: [
      ['{{ gt (length vars.list) 2 }}', true],
      ['{{ gt 1.5 -2 }}', true],
    ],
    bad: [['{{ gt vars.obj 1 }}', /helper 'gt' expects two numbers or two strings/]],
  },
  gte: {
    good: [
      ['{{ gte 1 2 }}', false],
      ['{{ gte inputs.count 3 }}', true],
    ],
    bad: [['{{ gte true false }}', /got boolean and boolean/]],
  },
  and: {
    good: [
      ['{{ and true 1 "x" }}', true],
      ['{{ and true 0 }}', false],
      ['{{ and vars.list vars.empty }}', false],
      ['{{ and "only" }}', true],
    ],
    bad: [['{{ and }}', /helper 'and' takes at least 1 argument/]],
  },
  or: {
    good: [
      ['{{ or null 0 "x" }}', true],
      ['{{ or null vars.empty "" }}', false],
    ],
    bad: [['{{ or }}', /helper 'or' takes at least 1 argument/]],
  },
  not: {
    good: [
      ['{{ not null }}', true],
      ['{{ not vars.list }}', false],
      ['{{ not vars.empty }}', true],
    ],
    bad: [['{{ not 1 2 }}', /helper 'not' takes 1 argument, got 2/]],
  },
  length: {
    good: [
      ['{{ length vars.list }}', 3],
      ['{{ length "abcd" }}', 4],
      ['{{ length vars.obj }}', 2],
      ['{{ length inputs.optional }}', 0],
    ],
    bad: [['{{ length 5 }}', /helper 'length' expects an array, a string or an object, got number/]],
  },
  includes: {
    good: [
      ['{{ includes vars.list "b" }}', true],
      ['{{ includes vars.list "z" }}', false],
      ['{{ includes (pluck vars.records "tags") (parseJson \'{"env":"dev"}\') }}', true],
      ['{{ includes "hello" "ell" }}', true],
      ['{{ includes inputs.optional "x" }}', false],
    ],
    bad: [
      ['{{ includes 5 1 }}', /helper 'includes' expects an array or a string, got number/],
      ['{{ includes "abc" 1 }}', /must be a string, got number/],
    ],
  },
  first: {
    good: [
      ['{{ first vars.list }}', 'a'],
      ['{{ first vars.empty }}', null],
      ['{{ first inputs.optional }}', null],
    ],
    bad: [['{{ first vars.obj }}', /helper 'first' expects an array or a string, got object/]],
  },
  last: {
    good: [
      ['{{ last vars.list }}', 'c'],
      ['{{ last "xyz" }}', 'z'],
    ],
    bad: [['{{ last 3 }}', /helper 'last' expects an array or a string, got number/]],
  },
  pluck: {
    good: [
      ['{{ pluck vars.records "name" }}', ['a', 'b', 'c']],
      ['{{ pluck vars.records "tags.env" }}', ['prod', 'dev', 'prod']],
      ['{{ pluck vars.records "missing" }}', [null, null, null]],
      ['{{ pluck inputs.optional "x" }}', []],
    ],
    bad: [['{{ pluck vars.obj "a" }}', /helper 'pluck' the first argument must be an array, got object/]],
  },
  where: {
    good: [
      ['{{ pluck (where vars.records "public") "name" }}', ['a', 'c']],
      ['{{ pluck (where vars.records "tags.env" "dev") "name" }}', ['b']],
      ['{{ where vars.records "n" 7 }}', []],
    ],
    bad: [['{{ where vars.records 1 }}', /helper 'where' the key must be a string, got number/]],
  },
  keys: {
    good: [
      ['{{ keys vars.obj }}', ['a', 'b']],
      ['{{ keys inputs.optional }}', []],
    ],
    bad: [['{{ keys vars.list }}', /helper 'keys' expects an object, got array/]],
  },
  values: {
    good: [['{{ values vars.obj }}', [[1, 2], 'x']]],
    bad: [['{{ values "s" }}', /helper 'values' expects an object, got string/]],
  },
  concat: {
    good: [
      ['{{ concat vars.list (split "d,e" ",") "f" null }}', ['a', 'b', 'c', 'd', 'e', 'f']],
      ['{{ concat (parseJson "[[1],[2]]") 3 }}', [[1], [2], 3]],
    ],
    bad: [['{{ concat }}', /helper 'concat' takes at least 1 argument, got 0/]],
  },
  unique: {
    good: [
      ['{{ unique (concat vars.list vars.list "a") }}', ['a', 'b', 'c']],
      ['{{ unique (pluck vars.records "tags") }}', [{ env: 'prod' }, { env: 'dev' }]],
    ],
    bad: [['{{ unique "abc" }}', /helper 'unique' the argument must be an array, got string/]],
  },
  lower: {
    good: [
      ['{{ lower "AbC" }}', 'abc'],
      ['{{ lower inputs.optional }}', null],
    ],
    bad: [['{{ lower 1 }}', /helper 'lower' the argument must be a string, got number/]],
  },
  upper: {
    good: [['{{ upper inputs.bucket }}', 'LOGS-BUCKET']],
    bad: [['{{ upper vars.list }}', /helper 'upper' the argument must be a string, got array/]],
  },
  join: {
    good: [
      ['{{ join vars.list }}', 'a,b,c'],
      ['{{ join vars.list " | " }}', 'a | b | c'],
      ['{{ join (concat 1 null true) "-" }}', '1-true'],
    ],
    bad: [['{{ join "abc" }}', /helper 'join' the first argument must be an array, got string/]],
  },
  split: {
    good: [
      ['{{ split "a/b/c" "/" }}', ['a', 'b', 'c']],
      ['{{ split inputs.optional "," }}', []],
    ],
    bad: [['{{ split "a" 1 }}', /helper 'split' the separator must be a string, got number/]],
  },
  startsWith: {
    good: [
      ['{{ startsWith inputs.accessKeyId "AKIA" }}', true],
      ['{{ startsWith inputs.accessKeyId "ASIA" }}', false],
    ],
    bad: [['{{ startsWith 12 "1" }}', /helper 'startsWith' the first argument must be a string/]],
  },
  endsWith: {
    good: [['{{ endsWith inputs.bucket "-bucket" }}', true]],
    bad: [['{{ endsWith "abc" null }}', /helper 'endsWith' the suffix must be a string, got null/]],
  },
  matches: {
    good: [
      ['{{ matches inputs.accessKeyId "^(AKIA|ASIA)[A-Z0-9]{16}$" }}', true],
      ['{{ matches "ABC" "^abc$" }}', false],
      ['{{ matches "ABC" "^abc$" "i" }}', true],
    ],
    bad: [['{{ matches "x" "(" }}', /helper 'matches' invalid regular expression "\("/]],
  },
  replace: {
    good: [
      ['{{ replace "a.b.c" "." "/" }}', 'a/b/c'],
      ['{{ replace "a$&b" "$&" "x" }}', 'axb'],
    ],
    bad: [['{{ replace "abc" "" "x" }}', /helper 'replace' the text to find must not be empty/]],
  },
  json: {
    good: [
      ['{{ json vars.obj }}', '{"a":[1,2],"b":"x"}'],
      ['{{ json vars.list 2 }}', '[\n  "a",\n  "b",\n  "c"\n]'],
      ['{{ json inputs.optional }}', 'null'],
    ],
    bad: [['{{ json 1 "x" }}', /helper 'json' the indent must be a number, got string/]],
  },
  parseJson: {
    good: [
      ['{{ parseJson \'{"a":1}\' }}', { a: 1 }],
      ['{{ parseJson "[true, null]" }}', [true, null]],
    ],
    bad: [
      ['{{ parseJson "{bad" }}', /helper 'parseJson' the text is not valid JSON \(at position 1\)/],
      ['{{ parseJson 1 }}', /helper 'parseJson' the argument must be a string, got number/],
    ],
  },
  now: {
    good: [
      ['{{ now }}', '2024-03-05T07:08:09.010Z'],
      ['{{ dateFormat (now) "yyyy" }}', '2024'],
    ],
    bad: [['{{ now 1 }}', /helper 'now' takes 0 arguments, got 1/]],
  },
  dateAdd: {
    good: [
      ['{{ dateAdd (now) days=-7 }}', '2024-02-27T07:08:09.010Z'],
      ['{{ dateAdd vars.when hours=1 minutes=30 seconds=15 }}', '2024-03-01T01:00:15.000Z'],
      ['{{ dateAdd "2024-01-01T00:00:00Z" }}', '2024-01-01T00:00:00.000Z'],
    ],
    bad: [
      ['{{ dateAdd "yesterday" days=1 }}', /helper 'dateAdd' the date must be a date .*got text that is not a date/],
      ['{{ dateAdd (now) weeks=1 }}', /helper 'dateAdd' unknown named argument 'weeks'/],
      ['{{ dateAdd (now) days="1" }}', /helper 'dateAdd' days must be a number, got string/],
    ],
  },
  dateFormat: {
    good: [
      ['{{ dateFormat (now) "yyyy/MM/dd" }}', '2024/03/05'],
      ['{{ dateFormat vars.when "yyyy-MM-dd HH:mm:ss.SSS" }}', '2024-02-29 23:30:00.000'],
    ],
    bad: [['{{ dateFormat inputs.optional "yyyy" }}', /helper 'dateFormat' the date must be a date .*got null/]],
  },
  jmespath: {
    good: [
      ['{{ jmespath vars.records "[?n > `1`].name" }}', ['b', 'c']],
      ['{{ jmespath steps.analyzer-buckets.output "findings[0].resource" }}', 'arn:aws:s3:::b1'],
      ['{{ jmespath vars.obj "constructor" }}', null],
    ],
    bad: [['{{ jmespath vars.obj "[?" }}', /helper 'jmespath' JMESPath "\[\?"/]],
  },
  sqlString: {
    good: [
      ['{{ sqlString vars.text }}', "'O''Brien'"],
      ["{{ sqlString \"x' OR '1'='1\" }}", "'x'' OR ''1''=''1'"],
      ['{{ sqlString 42 }}', "'42'"],
    ],
    bad: [
      ['{{ sqlString vars.nul }}', /helper 'sqlString' the text contains a NUL character/],
      ['{{ sqlString vars.obj }}', /helper 'sqlString' expects a string, a number or a boolean, got object/],
    ],
  },
  sqlIdent: {
    good: [
      ['{{ sqlIdent "cloudtrail_logs" }}', '"cloudtrail_logs"'],
      ['{{ sqlIdent "db.table_1" }}', '"db"."table_1"'],
    ],
    bad: [
      ['{{ sqlIdent "t; DROP TABLE x" }}', /helper 'sqlIdent' "t; DROP TABLE x" is not a valid SQL identifier/],
      ['{{ sqlIdent "1abc" }}', /is not a valid SQL identifier/],
      ['{{ sqlIdent "a..b" }}', /is not a valid SQL identifier/],
      ["{{ sqlIdent 'a\"b' }}", /is not a valid SQL identifier/],
    ],
  },
  default: {
    good: [
      ['{{ default inputs.optional "x" }}', 'x'],
      ['{{ default "" "x" }}', 'x'],
      ['{{ default 0 5 }}', 0],
      ['{{ default inputs.bucket "x" }}', 'logs-bucket'],
    ],
    bad: [['{{ default inputs.optional }}', /helper 'default' takes 2 arguments, got 1/]],
  },
  exists: {
    good: [
      ['{{ exists inputs.optional }}', false],
      ['{{ exists 0 }}', true],
      ['{{ exists steps.later.output }}', false],
    ],
    bad: [['{{ exists }}', /helper 'exists' takes 1 argument, got 0/]],
  },
  coalesce: {
    good: [
      ['{{ coalesce null inputs.optional "z" "y" }}', 'z'],
      ['{{ coalesce inputs.optional null }}', null],
      ['{{ coalesce "" "y" }}', ''],
    ],
    bad: [['{{ coalesce }}', /helper 'coalesce' takes at least 1 argument, got 0/]],
  },
};

describe('template helpers', () => {
  it('has a table entry, with good and failing rows, for every helper', () => {
    const plain = HELPER_NAMES.filter((n) => !(BLOCK_HELPERS as readonly string[]).includes(n));
    expect(Object.keys(TABLE).sort()).to.deep.equal([...plain].sort());
    for (const [name, rows] of Object.entries(TABLE)) {
      expect(rows.good.length, name).to.be.greaterThan(0);
      expect(rows.bad.length, name).to.be.greaterThan(0);
    }
  });

  for (const [name, rows] of Object.entries(TABLE)) {
    describe(name, () => {
      for (const [template, expected] of rows.good) {
        it(`${template} -> ${JSON.stringify(expected)}`, () => {
          expect(evaluateString(template, makeScope(), { now: CLOCK })).to.deep.equal(expected);
        });
      }
      for (const [template, message] of rows.bad) {
        it(`${template} fails`, () => {
          let caught: unknown;
          try {
            evaluateString(template, makeScope(), { now: CLOCK });
          } catch (err) {
            caught = err;
          }
          expect(caught).to.be.instanceOf(TemplateError);
          const err = caught as TemplateError;
          expect(err.code).to.equal(Codes.TEMPLATE_EVAL);
          expect(err.message).to.match(message);
          // the message names the template
          expect(err.message).to.include(JSON.stringify(template));
        });
      }
    });
  }

  it('the clock defaults to the system time when none is injected', () => {
    const before = Date.now();
    const got = Date.parse(evaluateString('{{ now }}', makeScope()) as string);
    expect(got).to.be.at.least(before);
  });

  it('an unknown helper is a TEMPLATE_EVAL error with a suggestion', () => {
    try {
      evaluateString('{{ lenght vars.list }}', makeScope());
      expect.fail('should throw');
    } catch (err) {
      expect((err as TemplateError).code).to.equal(Codes.TEMPLATE_EVAL);
      expect((err as TemplateError).message).to.match(/unknown helper 'lenght' \(did you mean 'length'\?\)/);
      expect((err as TemplateError).suggestions).to.include('length');
    }
  });

  it('a subexpression must name a helper', () => {
    expect(() => evaluateString('{{ not (inputs.bucket) }}', makeScope())).to.throw(
      TemplateError,
      /unknown helper 'inputs.bucket'/,
    );
  });

  it('a helper name used as a plain argument hints at the subexpression form', () => {
    expect(() => evaluateString('{{ dateAdd now days=1 }}', makeScope(), { now: CLOCK })).to.throw(
      TemplateError,
      /'now' is a helper: call it as a subexpression, \(now/,
    );
  });
});
