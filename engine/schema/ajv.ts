/**
 * One ajv instance for the whole process, strict and collecting all errors; schemas are compiled
 * once and cached by the callers (a WeakMap keyed by the schema object).
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

// ajv-formats is CommonJS with `exports.default`; under NodeNext the default import is the
// module object or the function depending on the loader (ajv-validator/ajv#2132).
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (
  ajv: Ajv,
) => Ajv;

let instance: Ajv | undefined;

export function ajv(): Ajv {
  if (!instance) {
    instance = new Ajv({
      strict: true,
      allErrors: true,
      allowUnionTypes: true,
      strictRequired: false,
      validateFormats: true,
    });
    addFormats(instance);
    // Annotations used in irun schemas (shown by editors and `irun actions`, ignored by validation).
    instance.addKeyword({ keyword: 'x-irun-secret', schemaType: 'boolean' });
    instance.addKeyword({ keyword: 'markdownDescription', schemaType: 'string' });
  }
  return instance;
}

const cache = new WeakMap<object, ValidateFunction>();

/** Compile (once) and return the validator for a schema object. Throws on an invalid schema. */
export function compile(schema: object): ValidateFunction {
  let fn = cache.get(schema);
  if (!fn) {
    fn = ajv().compile(schema);
    cache.set(schema, fn);
  }
  return fn;
}

/** A validator that does not share ajv's global schema cache (for one-off schemas with $id clashes). */
export function formatAjvErrors(errors: ErrorObject[] | null | undefined): string {
  if (!errors || errors.length === 0) return '';
  return errors
    .map((e) => {
      const where = e.instancePath || '(root)';
      if (e.keyword === 'additionalProperties')
        return `${where}: unknown property '${(e.params as { additionalProperty: string }).additionalProperty}'`;
      if (e.keyword === 'enum')
        return `${where}: ${e.message} (${((e.params as { allowedValues: unknown[] }).allowedValues ?? []).map((v) => JSON.stringify(v)).join(', ')})`;
      return `${where}: ${e.message}`;
    })
    .join('; ');
}

export type { ErrorObject, ValidateFunction };
