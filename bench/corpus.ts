/**
 * A corpus of generated runbooks for the validation benchmark: realistic, valid documents of
 * about 60 steps each that use core.* actions and every step kind (action, manual with each ask
 * type, call, goto, branch, set, end, forEach over an action and over a call), with templates
 * that reference inputs, vars, step outputs, parts and forEach items through helpers.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** The text of generated runbook number `n` (deterministic). */
export function corpusRunbook(n: number): string {
  const id = `generated-${String(n).padStart(4, '0')}`;
  const L: string[] = [];
  L.push(
    '# yaml-language-server: $schema=../schemas/runbook.schema.json',
    'irun: 1',
    `id: ${id}`,
    `title: "Generated runbook ${n}: credential exposure drill"`,
    'version: "1.0.0"',
    'description: |',
    '  A generated runbook for benchmarks: gather, triage, contain, recover and review, with',
    '  manual steps, loops over items, sub-part calls and branches.',
    'source: { title: "Benchmark corpus", url: "https://example.com/runbooks" }',
    'inputs:',
    '  bucket: { type: string, title: Bucket, description: "Bucket involved, if known", pattern: "^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$" }',
    '  accessKeyId: { type: string, pattern: "^(AKIA|ASIA)[A-Z0-9]{16}$", secret: false }',
    '  severity: { type: string, enum: [low, medium, high], default: medium }',
    '  accounts: { type: array, items: { type: string, pattern: "^\\\\d{12}$" }, default: ["111111111111", "222222222222"] }',
    '  since: { type: string, format: date-time, default: "{{ dateAdd (now) days=-7 }}" }',
    'vars:',
    '  findings: []',
    '  contained: false',
    '  ticket: null',
    'parts:',
  );

  // Part 1: gather (about 22 steps)
  L.push('  - id: gather', `    title: "Part 1: Gather evidence (${n})"`, '    steps:');
  L.push(
    '      - id: intake',
    '        ref: "1.1"',
    '        title: How was the exposure reported?',
    '        manual:',
    '          instructions: |',
    '            Record how you learned of the exposure and open a ticket. Note the time, the',
    '            reporter and any identifiers (bucket, key id, account) they gave.',
    '          checklist: [Ticket opened, Reporter recorded, Timeline started]',
    '          ask: { type: select, choices: [ticket, alert, third-party, press] }',
    '      - id: ticket-id',
    '        ref: "1.1.1"',
    '        manual:',
    `          instructions: "Ticket id for **{{ default inputs.bucket \\"the bucket\\" }}** (source: {{ steps.intake.output }}, drill ${n})."`,
    '          ask: { type: input }',
    '      - id: note-ticket',
    '        set:',
    '          ticket: "{{ steps.ticket-id.output }}"',
    '          findings: "{{ concat vars.findings (concat (json steps.intake.output)) }}"',
  );
  for (let i = 0; i < 10; i++) {
    L.push(
      `      - id: collect-${i}`,
      `        ref: "1.2.${i + 1}"`,
      `        title: Collect source ${i + 1}`,
      '        action: core.noop',
      `        with: { echo: { source: "collector-${i}", bucket: "{{ inputs.bucket }}", since: "{{ inputs.since }}", ticket: "{{ vars.ticket }}" } }`,
      `        outputs: { source: "{{ steps.collect-${i}.output.echo.source }}" }`,
      '        onError: continue',
      `      - id: log-${i}`,
      '        action: core.log',
      `        with: { message: "collected {{ steps.collect-${i}.output.echo.source }} for {{ default inputs.bucket \\"unknown\\" }} ({{ length vars.findings }} findings so far, runbook ${n})", level: info }`,
    );
  }
  L.push(
    '      - id: per-account',
    '        ref: "1.3"',
    '        title: Look at each account',
    '        forEach: "{{ inputs.accounts }}"',
    '        as: account',
    '        concurrency: 4',
    '        action: core.noop',
    '        with: { echo: "{{ account }}" }',
    '      - id: severity-known',
    '        ref: "1.4"',
    '        branch:',
    '          - if: "{{ eq inputs.severity \\"high\\" }}"',
    '            call: contain',
    '          - if: "{{ and (eq steps.intake.output \\"press\\") (not vars.contained) }}"',
    '            goto: triage',
    '        default: triage',
    '        next: triage',
  );

  // Part 2: triage (about 14 steps)
  L.push('  - id: triage', '    title: "Part 2: Triage"', '    steps:');
  L.push(
    '      - id: scope',
    '        ref: "2.1"',
    '        manual:',
    '          instructions: |',
    '            Which data was exposed? Compare the bucket inventory with the findings:',
    '            {{ join (pluck steps.per-account.output "echo") ", " }}.',
    '          ask: { type: multiselect, choices: [pii, secrets, logs, backups] }',
    '      - id: confirm-scope',
    '        ref: "2.2"',
    '        manual:',
    '          instructions: "Is the scope ({{ length steps.scope.output }} kinds) complete?"',
    '          ask: { type: confirm, default: true }',
    '      - id: count-objects',
    '        manual:',
    '          instructions: How many objects were exposed?',
    '          ask: { type: number }',
  );
  for (let i = 0; i < 10; i++) {
    L.push(
      `      - id: check-${i}`,
      `        ref: "2.3.${i + 1}"`,
      '        action: core.assert',
      `        with: { that: "{{ or (gte (default steps.count-objects.output 0) ${i}) (includes steps.scope.output \\"logs\\") }}", message: "check ${i} of runbook ${n} failed" }`,
      '        onError: continue',
    );
  }
  L.push(
    '      - id: decide',
    '        ref: "2.4"',
    '        if: "{{ steps.confirm-scope.output }}"',
    '        branch:',
    '          - if: "{{ includes steps.scope.output \\"secrets\\" }}"',
    '            goto: contain',
    '        default: recover',
    '      - id: rescope',
    '        goto: recover',
  );

  // Part 3: contain (called as a subroutine; about 12 steps)
  L.push('  - id: contain', '    title: "Part 3: Contain"', '    steps:');
  L.push(
    '      - id: contain-already',
    '        if: "{{ vars.contained }}"',
    '        goto: contain-done',
    '      - id: approve-contain',
    '        manual:',
    '          instructions: "Contain {{ default inputs.bucket \\"the bucket\\" }} now? Key {{ default inputs.accessKeyId \\"(unknown)\\" }}."',
    '          ask: { type: confirm }',
  );
  for (let i = 0; i < 7; i++) {
    L.push(
      `      - id: contain-${i}`,
      `        ref: "3.${i + 1}"`,
      '        if: "{{ steps.approve-contain.output }}"',
      '        action: core.noop',
      `        with: { echo: "{{ upper (default inputs.severity \\"low\\") }}-${n}-${i}" }`,
      '        retry: { attempts: 3, delay: 1s, backoff: 2 }',
      '        timeout: 30s',
    );
  }
  L.push(
    '      - id: per-account-contain',
    '        forEach: "{{ inputs.accounts }}"',
    '        as: acct',
    '        call: account-review',
    '      - id: mark-contained',
    '        set: { contained: true }',
    '      - id: contain-done',
    '        action: core.log',
    `        with: { message: "contained: {{ vars.contained }} (visits {{ parts.contain.visits }}, runbook ${n})" }`,
  );

  // Part 4: account review (forEach call body; 4 steps)
  L.push('  - id: account-review', '    title: "Part 3a: Review one account"', '    steps:');
  L.push(
    '      - id: review-account',
    '        action: core.noop',
    '        with: { echo: { ticket: "{{ vars.ticket }}", visits: "{{ parts.contain.visits }}" } }',
    '      - id: review-log',
    '        action: core.log',
    '        with: { message: "reviewed an account for ticket {{ default vars.ticket \\"n/a\\" }}" }',
    '      - id: review-wait',
    '        action: core.wait',
    '        with: { duration: 10ms, reason: propagation }',
    '      - id: review-back',
    '        if: "{{ eq steps.review-account.status \\"failed\\" }}"',
    '        goto: escalate',
  );

  // Part 5: recover and close (about 6 steps)
  L.push('  - id: recover', '    title: "Part 4: Recover and review"', '    steps:');
  L.push(
    '      - id: verify',
    '        action: core.assert',
    '        with: { that: "{{ or vars.contained (ne inputs.severity \\"high\\") }}", message: High severity incidents must be contained first }',
    '        onError: { goto: escalate }',
    '      - id: lessons',
    '        manual:',
    '          instructions: |',
    '            Review: what detected the exposure, how long it lasted, and what would have',
    '            prevented it. Ticket {{ default vars.ticket "n/a" }}.',
    '          checklist: [Root cause found, Owners informed, Follow-up tickets opened]',
    '      - id: resolved',
    '        end: { status: resolved, message: "Closed ticket {{ vars.ticket }}" }',
    '      - id: escalate',
    '        end: { status: escalated, message: "Escalated: not contained ({{ inputs.severity }})" }',
  );
  return `${L.join('\n')}\n`;
}

/** Write `count` generated runbooks into `dir` (created); returns their paths. */
export function writeCorpus(dir: string, count: number): string[] {
  mkdirSync(dir, { recursive: true });
  const files: string[] = [];
  for (let n = 0; n < count; n++) {
    const file = path.join(dir, `generated-${String(n).padStart(4, '0')}.yaml`);
    writeFileSync(file, corpusRunbook(n));
    files.push(file);
  }
  return files;
}
