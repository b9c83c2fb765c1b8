/**
 * Template errors. Every failure names the template (shortened) and the path or helper involved,
 * and carries the position within the template text (1-based line and column).
 */
import { Codes, IrunError, type IrunErrorOptions } from '../errors.js';

export type TemplateErrorCode =
  typeof Codes.TEMPLATE_SYNTAX | typeof Codes.TEMPLATE_UNKNOWN_PATH | typeof Codes.TEMPLATE_EVAL;

export interface TemplateErrorOptions extends IrunErrorOptions {
  /** The template text the error comes from. */
  template?: string;
  line?: number;
  column?: number;
}

/** A template that does not parse, names nothing declared, or whose helper failed. */
export class TemplateError extends IrunError {
  readonly template?: string;
  readonly line?: number;
  readonly column?: number;

  constructor(code: TemplateErrorCode, message: string, options: TemplateErrorOptions = {}) {
    const { template, line, column, ...rest } = options;
    const where = template === undefined ? '' : ` in ${quote(template)}${line ? ` at ${line}:${column ?? 1}` : ''}`;
    super(code, `${message}${where}`, {
      ...rest,
      location: rest.location ?? (line ? { line, column } : undefined),
      details: { ...(rest.details ?? {}), ...(template === undefined ? {} : { template }) },
    });
    this.name = 'TemplateError';
    this.template = template;
    this.line = line;
    this.column = column;
  }
}

/** The template as shown in a message: quoted, newlines escaped, long text cut in the middle. */
export function quote(text: string, max = 120): string {
  let t = JSON.stringify(text);
  if (t.length > max) t = `${t.slice(0, max / 2 - 2)} … ${t.slice(t.length - (max / 2 - 2))}`;
  return t;
}

export { closest } from '../util/similar.js';
