/**
 * The registered AWS actions against the action table at the end of docs/reference/aws-actions.md:
 * nothing in the table is missing, the read/mutate column agrees with each action's effect, and
 * the IAM permissions the table names are declared.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { PACKAGE_ROOT, Registry, type RegisteredAction } from '../../engine/plugins/registry.js';

export interface TableAction {
  id: string;
  effect: 'read' | 'mutate';
  /** IAM actions the table names for this action. */
  permissions: string[];
  /** Named by the row but shared by its actions: at least one of them must declare it. */
  shared: string[];
  row: string;
}

/** The rows of the markdown table whose header starts with "| irun action |". */
export function tableRows(markdown: string): string[][] {
  const lines = markdown.split('\n');
  const start = lines.findIndex((l) => /^\|\s*irun action\s*\|/.test(l));
  if (start < 0) throw new Error('no "| irun action |" table found');
  const rows: string[][] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(
      line
        .split('|')
        .slice(1, -1)
        .map((c) => c.trim()),
    );
  }
  return rows;
}

/** "aws.s3.get/putBucketVersioning" -> ["getBucketVersioning", "putBucketVersioning"]. */
function expandName(name: string): string[] {
  const m = /^([a-z]+)\/([a-z]+)([A-Z]\w*)$/.exec(name);
  return m ? [m[1] + m[3], m[2] + m[3]] : [name];
}

const capitalize = (s: string) => s[0].toUpperCase() + s.slice(1);

/**
 * Expand one table row into action ids with the expected effect and permissions:
 * "aws.sts.getCallerIdentity / getAccessKeyInfo", "aws.s3.get/putBucketOwnershipControls",
 * "aws.iam.putRolePolicy (deny-all, AWSRevokeOlderSessions)". In an R/M row the first action reads
 * and the second mutates. IAM cells: "a / b" aligned with the actions, "svc:same" meaning the
 * action's own name, tokens that are not plain "svc:Action" (wildcards, "(Version)") are skipped.
 */
export function expandRow(cells: string[]): TableAction[] {
  const [actionCell, , rmCell, iamCell] = cells;
  const row = `| ${cells.join(' | ')} |`;
  const parts = actionCell
    .replace(/\s*\([^)]*\)/g, '')
    .split(/\s+\/\s+/)
    .map((s) => s.trim())
    .filter(Boolean);
  const first = parts[0];
  const dot = first.lastIndexOf('.');
  const ns = first.slice(0, dot);
  const groups = parts
    .map((p, i) => (i === 0 ? p.slice(dot + 1) : p.startsWith('aws.') ? p.slice(p.lastIndexOf('.') + 1) : p))
    .map(expandName);
  const names = groups.flat();
  const rm = (/^(R\/M|R|M)\b/.exec(rmCell)?.[1] ?? 'R') as 'R' | 'M' | 'R/M';
  const effects: ('read' | 'mutate')[] = names.map((_, i) =>
    rm === 'R' ? 'read' : rm === 'M' ? 'mutate' : i === 0 ? 'read' : 'mutate',
  );
  const iamPieces = (iamCell ?? '').split(/\s+\/\s+/);
  const aligned = iamPieces.length === names.length && names.length > 1;
  const out: TableAction[] = names.map((name, i) => ({
    id: `${ns}.${name}`,
    effect: effects[i],
    permissions: [],
    shared: [],
    row,
  }));
  const tokens = (piece: string) =>
    piece
      .split(/[,+]/)
      .map((t) => t.trim())
      .map((t) => /^([a-z0-9-]+):([A-Za-z]+)$/.exec(t))
      .filter((m): m is RegExpExecArray => m !== null);
  if (aligned) {
    iamPieces.forEach((piece, i) => {
      for (const [, svc, act] of tokens(piece))
        out[i].permissions.push(act === 'same' ? `${svc}:${capitalize(names[i])}` : `${svc}:${act}`);
    });
  } else {
    // "s3:Get/PutBucketVersioning" in a get/put row: the first permission for the first action.
    for (const t of (iamCell ?? '').split(/[,+]/).map((x) => x.trim())) {
      const gp = /^([a-z0-9-]+):([A-Z][a-z]+)\/([A-Z][a-z]+)([A-Za-z]+)$/.exec(t);
      if (gp && out.length === 2) {
        out[0].permissions.push(`${gp[1]}:${gp[2]}${gp[4]}`);
        out[1].permissions.push(`${gp[1]}:${gp[3]}${gp[4]}`);
      }
    }
    for (const [, svc, act] of tokens(iamCell ?? '')) {
      if (act === 'same') out.forEach((a, i) => a.permissions.push(`${svc}:${capitalize(names[i])}`));
      else if (out.length === 1) out[0].permissions.push(`${svc}:${act}`);
      else out.forEach((a) => a.shared.push(`${svc}:${act}`));
    }
  }
  return out;
}

describe('AWS action catalogue vs docs/reference/aws-actions.md', () => {
  const table = tableRows(readFileSync(path.join(PACKAGE_ROOT, 'docs/reference/aws-actions.md'), 'utf8')).flatMap(
    expandRow,
  );
  let registered: Map<string, RegisteredAction>;
  const loadErrors: string[] = [];

  before(async () => {
    const registry = new Registry();
    registered = new Map();
    for (const ns of (await registry.namespaces()).filter((n) => n.startsWith('aws.'))) {
      try {
        for (const a of (await registry.pack(ns)).values()) registered.set(a.id, a);
      } catch (err) {
        loadErrors.push(`${ns}: ${(err as Error).message}`);
      }
    }
  });

  const catalogue = () =>
    [...registered.values()]
      .sort((a, b) => a.id.localeCompare(b.id))
      .map((a) => `  ${a.id} [${a.def.effect}] ${a.def.permissions.join(', ') || '(no permission)'}`)
      .join('\n');

  it('parses the table into action ids (sanity)', () => {
    const ids = table.map((t) => t.id);
    expect(ids).to.include.members([
      'aws.sts.getCallerIdentity',
      'aws.sts.getAccessKeyInfo',
      'aws.s3.getBucketOwnershipControls',
      'aws.s3.putBucketOwnershipControls',
      'aws.s3control.getAccountPublicAccessBlock',
      'aws.s3control.putAccountPublicAccessBlock',
      'aws.iam.putRolePolicy',
      'aws.athena.query',
    ]);
    expect(table.find((t) => t.id === 'aws.s3.putBucketVersioning')?.effect).to.equal('mutate');
    expect(table.find((t) => t.id === 'aws.s3.getBucketVersioning')?.effect).to.equal('read');
    expect(table.find((t) => t.id === 'aws.iam.detachRolePolicy')?.effect).to.equal('mutate');
    expect(table.find((t) => t.id === 'aws.athena.query')?.effect).to.equal('read');
    expect(table.find((t) => t.id === 'aws.sts.getCallerIdentity')?.permissions).to.deep.equal([]);
    expect(table.find((t) => t.id === 'aws.ec2.modifyInstanceMetadataOptions')?.permissions).to.deep.equal([
      'ec2:ModifyInstanceMetadataOptions',
    ]);
    expect(table.find((t) => t.id === 'aws.iam.detachRolePolicy')?.shared).to.deep.equal(['iam:AttachRolePolicy']);
    expect(table.find((t) => t.id === 'aws.s3.putBucketEncryption')?.permissions).to.deep.equal([
      's3:PutEncryptionConfiguration',
    ]);
    expect(table.find((t) => t.id === 'aws.s3control.getAccountPublicAccessBlock')?.permissions).to.deep.equal([
      's3:GetAccountPublicAccessBlock',
    ]);
  });

  it('every AWS pack loads', () => {
    expect(loadErrors, `packs that failed to load:\n${loadErrors.join('\n')}`).to.deep.equal([]);
  });

  it('every action of the table is registered', () => {
    const missing = table.filter((t) => !registered.has(t.id)).map((t) => `  ${t.id}    (from ${t.row})`);
    expect(
      missing,
      `actions in the table but not registered (${missing.length}):\n${missing.join('\n')}\n\nregistered AWS actions:\n${catalogue()}`,
    ).to.deep.equal([]);
  });

  it("every table row's R/M agrees with the action's effect", () => {
    const wrong = table
      .filter((t) => registered.has(t.id) && registered.get(t.id)!.def.effect !== t.effect)
      .map(
        (t) => `  ${t.id}: table says ${t.effect}, action is ${registered.get(t.id)!.def.effect}    (from ${t.row})`,
      );
    expect(wrong, `effect mismatches:\n${wrong.join('\n')}`).to.deep.equal([]);
  });

  it('the IAM permissions named in the table are declared', () => {
    const problems: string[] = [];
    const byRow = new Map<string, TableAction[]>();
    for (const t of table) byRow.set(t.row, [...(byRow.get(t.row) ?? []), t]);
    for (const t of table) {
      const a = registered.get(t.id);
      if (!a) continue;
      for (const p of t.permissions)
        if (!a.def.permissions.includes(p)) problems.push(`  ${t.id} does not declare ${p}`);
    }
    for (const [row, actions] of byRow) {
      for (const p of actions[0].shared) {
        const present = actions.filter((t) => registered.has(t.id));
        if (present.length && !present.some((t) => registered.get(t.id)!.def.permissions.includes(p)))
          problems.push(`  none of ${present.map((t) => t.id).join(', ')} declares ${p}    (from ${row})`);
      }
    }
    expect(problems, `permissions named in the table but not declared:\n${problems.join('\n')}`).to.deep.equal([]);
  });

  it('every registered AWS action is documented and complete', () => {
    const problems: string[] = [];
    for (const a of registered.values()) {
      const d = a.def;
      if (!d.title) problems.push(`  ${a.id}: no title`);
      if (!d.docsUrl?.startsWith('https://')) problems.push(`  ${a.id}: no docsUrl`);
      if (d.example === undefined) problems.push(`  ${a.id}: no example`);
      else if (!a.validateInput(d.example).ok)
        problems.push(`  ${a.id}: example does not match the input schema: ${a.validateInput(d.example).message}`);
      for (const p of d.permissions)
        if (!/^[a-z0-9-]+:[A-Za-z0-9*]+$/.test(p)) problems.push(`  ${a.id}: malformed permission ${p}`);
      if (d.effect === 'mutate') {
        for (const fn of ['capture', 'preview', 'reversible'] as const)
          if (typeof d[fn] !== 'function') problems.push(`  ${a.id}: mutating action without ${fn}()`);
        if (typeof d.undo !== 'function' && typeof d.reversible !== 'function')
          problems.push(`  ${a.id}: mutating action without undo()`);
      }
    }
    expect(problems, `incomplete actions:\n${problems.join('\n')}`).to.deep.equal([]);
  });
});
