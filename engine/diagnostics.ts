/**
 * A diagnostic is what `irun validate` (and every load/parse step) reports: a stable code, a
 * severity, a message and a position in the file. Phases push diagnostics; none throws.
 */
export type Severity = 'error' | 'warning';

export interface Diagnostic {
  code: string;
  severity: Severity;
  message: string;
  file: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  /** JSON-pointer-like path of the node, e.g. "/parts/0/steps/3/with/bucket". */
  path: string;
  suggestions?: string[];
}

export function pointer(path: (string | number)[]): string {
  return path.length === 0 ? '' : '/' + path.map((p) => String(p).replace(/~/g, '~0').replace(/\//g, '~1')).join('/');
}

export function hasErrors(diags: Diagnostic[], strict = false): boolean {
  return diags.some((d) => d.severity === 'error' || (strict && d.severity === 'warning'));
}
