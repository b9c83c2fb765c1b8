/**
 * Template expressions: handlebars syntax, parsed by the handlebars package and run by
 * irun's own interpreter — typed values, strict paths, helpers, no HTML escaping, no prototype
 * access — plus static analysis for validation.
 */
export { analyze, type HelperUse, type TemplateAnalysis, type TemplateRef } from './analyze.js';
export { TemplateError, type TemplateErrorCode } from './errors.js';
export { HELPER_NAMES } from './helpers.js';
export { evaluate, evaluateString, render, type EvalOptions, type Scope } from './interpret.js';
export { BLOCK_HELPERS, hasTemplate } from './parse.js';
export { truthy } from './values.js';
