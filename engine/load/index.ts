/**
 * YAML -> runbook model, keeping a way back from every node to its source position.
 *
 * The loader never throws for bad input: YAML errors (and duplicate keys) become IRUN_YAML_SYNTAX
 * diagnostics, a missing file IRUN_FILE_NOT_FOUND. Schema and semantic checks are the
 * validator's job (engine/validate).
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import {
  isAlias,
  isMap,
  isNode,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  type Document,
  type Node,
  type Pair,
  type YAMLMap,
} from 'yaml';
import type { Diagnostic, Severity } from '../diagnostics.js';
import { Codes } from '../errors.js';
import type { NodePath, RunbookDoc, SourceRange } from '../model.js';

export interface LocateOptions {
  /** Point at the key of the map entry instead of its value (unknown-property errors). */
  key?: boolean;
}

/** A loaded runbook file: its text, the parsed document and a map from paths to positions. */
export interface Loaded {
  file: string;
  text: string;
  sha256: string;
  /** The document as plain data (anchors, aliases and merge keys resolved); absent after YAML errors. */
  doc?: RunbookDoc;
  yamlDoc?: Document.Parsed;
  lineCounter: LineCounter;
  /** Load diagnostics: YAML syntax errors, duplicate keys, a missing file. */
  diagnostics: Diagnostic[];
  /** The source range of the node at `path`, or of its nearest existing ancestor. */
  locate(path: NodePath, options?: LocateOptions): SourceRange;
  /** The YAML node at `path` (aliases followed), if it exists. */
  nodeAt(path: NodePath): Node | undefined;
  /** The source range of a span of character offsets. */
  rangeOf(start: number, end: number): SourceRange;
}

/** Parse runbook text. Never throws. */
export function parseRunbook(text: string, file: string): Loaded {
  const lineCounter = new LineCounter();
  const yamlDoc = parseDocument(text, {
    lineCounter,
    prettyErrors: false,
    uniqueKeys: true,
    merge: true,
    keepSourceTokens: false,
  });
  const loaded = makeLoaded(file, text, lineCounter, yamlDoc);
  // After a syntax error the parser reads the rest of the text as something else (an unclosed
  // quote swallows the lines after it), and every later error follows from the first: report
  // that one, and warnings only before it.
  const first = yamlDoc.errors[0];
  const errors = first ? [first] : [];
  const warnings = yamlDoc.warnings.filter((w) => !first || w.pos[0] < first.pos[0]);
  for (const [list, severity] of [
    [errors, 'error'],
    [warnings, 'warning'],
  ] as const) {
    for (const err of list) {
      let [start, end] = err.pos;
      // "missing closing quote" and the like are found at the end of the text: show the last line
      if (start >= text.length && text.endsWith('\n')) [start, end] = [text.length - 1, text.length];
      loaded.diagnostics.push({
        code: Codes.YAML_SYNTAX,
        severity: severity as Severity,
        message: yamlMessage(err.message, err.code),
        ...loaded.rangeOf(start, Math.max(end, start + 1)),
        path: '',
      });
    }
  }
  if (yamlDoc.errors.length === 0) {
    try {
      loaded.doc = yamlDoc.toJS({ maxAliasCount: 1000 }) as RunbookDoc;
    } catch (cause) {
      // e.g. an alias bomb or a circular alias
      loaded.diagnostics.push({
        code: Codes.YAML_SYNTAX,
        severity: 'error',
        message: (cause as Error).message,
        ...loaded.rangeOf(0, 1),
        path: '',
      });
    }
  }
  return loaded;
}

/**
 * Read and parse a runbook file. A missing or unreadable file is a diagnostic, not an exception.
 * `displayName` is the name diagnostics carry (e.g. the path relative to the working folder).
 */
export async function loadRunbookFile(file: string, displayName: string = file): Promise<Loaded> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    const err = cause as NodeJS.ErrnoException;
    const loaded = makeLoaded(displayName, '', new LineCounter(), undefined);
    loaded.diagnostics.push({
      code: Codes.FILE_NOT_FOUND,
      severity: 'error',
      message: err.code === 'ENOENT' ? `file not found: ${displayName}` : `cannot read ${displayName}: ${err.message}`,
      file: displayName,
      line: 1,
      column: 1,
      endLine: 1,
      endColumn: 1,
      path: '',
    });
    return loaded;
  }
  return parseRunbook(text, displayName);
}

function makeLoaded(
  file: string,
  text: string,
  lineCounter: LineCounter,
  yamlDoc: Document.Parsed | undefined,
): Loaded {
  const rangeOf = (start: number, end: number): SourceRange => {
    const a = lineCounter.linePos(Math.min(start, text.length));
    const b = lineCounter.linePos(Math.min(Math.max(end, start), text.length));
    return { file, line: a.line, column: a.col, endLine: b.line, endColumn: b.col };
  };
  const nodeAt = (path: NodePath): Node | undefined => {
    if (!yamlDoc) return undefined;
    const found = walk(yamlDoc, path);
    return found.missing === 0 ? found.node : undefined;
  };
  const locate = (path: NodePath, options: LocateOptions = {}): SourceRange => {
    if (!yamlDoc) return { file, line: 1, column: 1, endLine: 1, endColumn: 1 };
    const found = walk(yamlDoc, path);
    let target: Node | undefined = found.node;
    if (options.key && found.missing === 0 && found.pair && isNode(found.pair.key)) target = found.pair.key;
    const range = target?.range;
    if (!range) return rangeOf(0, Math.min(1, text.length));
    return rangeOf(range[0], range[1] > range[0] ? range[1] : range[0] + 1);
  };
  return {
    file,
    text,
    sha256: createHash('sha256').update(text).digest('hex'),
    yamlDoc,
    lineCounter,
    diagnostics: [],
    locate,
    nodeAt,
    rangeOf,
  };
}

/**
 * Follow `path` from the document root. Returns the deepest node reached, the pair holding it
 * (for map entries) and how many segments could not be followed.
 */
function walk(doc: Document.Parsed, path: NodePath): { node: Node | undefined; pair?: Pair; missing: number } {
  let node: Node | undefined = (doc.contents ?? undefined) as Node | undefined;
  let pair: Pair | undefined;
  for (let i = 0; i < path.length; i++) {
    node = deref(doc, node);
    const seg = path[i];
    let next: Node | undefined;
    let nextPair: Pair | undefined;
    if (isMap(node)) {
      nextPair = findPair(doc, node, String(seg), 0);
      if (nextPair)
        next =
          (isNode(nextPair.value) ? nextPair.value : undefined) ?? (isNode(nextPair.key) ? nextPair.key : undefined);
    } else if (isSeq(node)) {
      const idx = typeof seg === 'number' ? seg : Number(seg);
      const item = Number.isInteger(idx) ? node.items[idx] : undefined;
      if (isNode(item)) next = item;
    }
    if (!next) return { node, pair, missing: path.length - i };
    node = next;
    pair = nextPair;
  }
  return { node, pair, missing: 0 };
}

function deref(doc: Document.Parsed, node: Node | undefined): Node | undefined {
  let n = node;
  for (let guard = 0; guard < 100 && isAlias(n); guard++) n = n.resolve(doc) as Node | undefined;
  return n;
}

/** The entry with key `key`, looking through `<<` merge keys as toJS does. */
function findPair(doc: Document.Parsed, map: YAMLMap, key: string, depth: number): Pair | undefined {
  const merges: Pair[] = [];
  for (const item of map.items) {
    if (!isPair(item)) continue;
    const k = isScalar(item.key) ? item.key.value : item.key;
    if (k === '<<' || (isScalar(item.key) && item.key.source === '<<')) {
      merges.push(item);
      continue;
    }
    if (String(k) === key) return item;
  }
  if (depth > 10) return undefined;
  for (const m of merges) {
    const v = deref(doc, isNode(m.value) ? m.value : undefined);
    const sources = isSeq(v) ? v.items.map((it) => deref(doc, isNode(it) ? it : undefined)) : [v];
    for (const src of sources) {
      if (isMap(src)) {
        const found = findPair(doc, src, key, depth + 1);
        if (found) return found;
      }
    }
  }
  return undefined;
}

function yamlMessage(message: string, code: string): string {
  // prettyErrors is off, so the message is the bare one; keep it short and say what kind it is.
  const first = message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
  if (code === 'DUPLICATE_KEY') return `${first} (duplicate key)`;
  if (code === 'BLOCK_AS_IMPLICIT_KEY') return `${first} (quote a value that contains ': ')`;
  return first;
}

/** What a YAML file in a runbooks folder is, told by parsing it (not by matching its text). */
export type YamlFileKind = 'runbook' | 'scenario' | 'config' | 'other';

/**
 * Classify a YAML text by its top-level keys: a runbook has `irun`, a scenario has `scenario`
 * (a config file is named irun.config.yaml). Quoted keys, flow style and a byte-order mark are
 * all YAML, so they count. A text the parser cannot read is a runbook when it has an `irun` key
 * in some form, so that its syntax error is reported rather than the file skipped.
 */
export function yamlFileKind(text: string, fileName = ''): YamlFileKind {
  if (/^irun\.config\.ya?ml$/i.test(fileName)) return 'config';
  const doc = parseDocument(text.replace(/^\uFEFF/, ''), { prettyErrors: false, uniqueKeys: false });
  const contents = doc.contents;
  if (isMap(contents)) {
    const keys = contents.items.map((p) => (isScalar(p.key) ? String(p.key.value) : undefined));
    if (keys.includes('irun')) return 'runbook';
    if (keys.includes('scenario')) return 'scenario';
  }
  if (doc.errors.length && /(^|[\s{,])["']?irun["']?\s*:/m.test(text)) return 'runbook';
  return 'other';
}
