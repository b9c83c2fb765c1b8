// Build step: compile schemas/runbook.schema.json once with ajv's standalone code generator, so a
// cold `irun validate` loads a ready validator instead of generating it (same options as
// engine/schema/ajv.ts). The output records the schema's sha256; the loader ignores a stale one.
'use strict';
const { createHash } = require('node:crypto');
const { mkdirSync, readFileSync, writeFileSync } = require('node:fs');
const path = require('node:path');
const Ajv = require('ajv').default;
const addFormats = require('ajv-formats').default;
const standaloneCode = require('ajv/dist/standalone').default;
const { _ } = require('ajv/dist/compile/codegen');

const root = path.resolve(__dirname, '..');
const text = readFileSync(path.join(root, 'schemas/runbook.schema.json'), 'utf8');
const ajv = new Ajv({
  strict: true,
  allErrors: true,
  allowUnionTypes: true,
  strictRequired: false,
  validateFormats: true,
  code: { source: true, formats: _`require("ajv-formats/dist/formats").fullFormats` },
});
addFormats(ajv);
ajv.addKeyword({ keyword: 'x-irun-secret', schemaType: 'boolean' });
ajv.addKeyword({ keyword: 'markdownDescription', schemaType: 'string' });
const validate = ajv.compile(JSON.parse(text));
const sha = createHash('sha256').update(text).digest('hex');
const out = path.join(root, 'dist/schemas/runbook.validate.cjs');
mkdirSync(path.dirname(out), { recursive: true });
writeFileSync(out, `${standaloneCode(ajv, validate)}\nmodule.exports.schemaSha256 = ${JSON.stringify(sha)};\n`);
