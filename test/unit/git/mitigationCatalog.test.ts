import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import Ajv from 'ajv';
import { ARG_PATTERN, ID_PATTERN, KIND_ACTIONS, MITIGATION_KINDS, parseCatalog, PROGRAM_PATTERN, SERVICE_PATTERN } from '../../../src/git/mitigationCatalog';
import { MITIGATION_ACTIONS } from '../../../src/protocol/vocabulary';

const REPO = path.resolve(__dirname, '../../..');
const schema = JSON.parse(fs.readFileSync(path.join(REPO, 'media', 'mitigations.schema.json'), 'utf8')) as Record<string, unknown>;
// defaultSnippets is VS Code's completion keyword, not JSON Schema's: strict mode would refuse it. Formats are VS
// Code's business too (the pattern carries the http(s) rule).
const validate = new Ajv({ allErrors: true, strict: false, validateFormats: false }).compile(schema);

/** The JSON block of the README's catalog section: the documented example, exactly as a reader copies it. */
function readmeExample(): string {
  const readme = fs.readFileSync(path.join(REPO, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Prepared mitigations'));
  const block = /```json\n([\s\S]*?)```/.exec(section);
  assert.ok(block?.[1], 'the README has a JSON example under "Prepared mitigations"');
  return block[1];
}

/** Both validators' verdicts: the editor's (JSON Schema) and the extension's at load (zod). */
function both(text: string): { schema: boolean; zod: ReturnType<typeof parseCatalog> } {
  return { schema: validate(JSON.parse(text)) as boolean, zod: parseCatalog(text) };
}

const good = () => ({
  id: 'receipts-off', title: 'Turn off receipt emails', kind: 'feature-flag', risk: 'low', caution: 'No receipt emails meanwhile.',
  argv: ['./scripts/flag.sh', 'receipt-emails', 'off', '--reason', '${incidentId}'], services: ['checkout'], verify: { watch: 'p99 latency' },
});

describe('mitigation catalog: the JSON Schema (the editor) and zod (at load) agree', () => {
  it('both accept the README example, and zod reads every entry of it', () => {
    const text = readmeExample();
    const r = both(text);
    assert.equal(r.schema, true, JSON.stringify(validate.errors));
    assert.ok(r.zod.ok, r.zod.ok ? '' : r.zod.message);
    assert.deepEqual(r.zod.catalog.mitigations.map((m) => [m.id, m.kind, m.risk]), [
      ['receipts-off', 'feature-flag', 'low'], ['shift-eu-central', 'traffic-shift', 'medium'], ['restart-checkout', 'restart', 'high'],
    ]);
  });

  it("both accept the demo repository's catalog", async () => {
    const demoRepo = pathToFileURL(path.join(REPO, 'scripts', 'demo-repo.mjs')).href;
    const { MITIGATIONS } = (await import(demoRepo)) as { MITIGATIONS: unknown };
    const r = both(JSON.stringify(MITIGATIONS));
    assert.equal(r.schema, true, JSON.stringify(validate.errors));
    assert.ok(r.zod.ok, r.zod.ok ? '' : r.zod.message);
    assert.deepEqual(new Set(r.zod.catalog.mitigations.map((m) => m.kind)), new Set(['feature-flag', 'traffic-shift', 'restart', 'load-shed']));
  });

  // Each bad catalog: how it is broken, and the words the load error must name (the entry and the field).
  const bad: [string, (e: Record<string, unknown>) => unknown, RegExp][] = [
    ['a kind that is not one', (e) => ({ ...e, kind: 'reboot' }), /entry 1 \("receipts-off"\), kind: expected one of feature-flag/],
    ['no risk', ({ risk: _, ...e }) => e, /entry 1 \("receipts-off"\), risk: missing/],
    ['a risk out of the three', (e) => ({ ...e, risk: 'critical' }), /risk: expected one of low, medium, high/],
    ['an empty caution', (e) => ({ ...e, caution: '   ' }), /caution: say in a line/],
    ['an argv as one string (it would need a shell)', (e) => ({ ...e, argv: './scripts/flag.sh receipt-emails off' }), /argv: expected array/],
    ['an empty argv', (e) => ({ ...e, argv: [] }), /argv: at least the program/],
    ['a placeholder as the program', (e) => ({ ...e, argv: ['${ref}', 'x'] }), /argv\[0\]: the program must be named plainly/],
    ['an unknown placeholder', (e) => ({ ...e, argv: ['./x.sh', '${password}'] }), /argv\[1\]: a placeholder is one of/],
    ['a placeholder without braces', (e) => ({ ...e, argv: ['./x.sh', '$incidentId'] }), /argv\[1\]: a placeholder is one of/],
    ['an unclosed placeholder', (e) => ({ ...e, undo: ['./x.sh', '${ref'] }), /undo\[1\]: a placeholder is one of/],
    ['an id with upper case and spaces', (e) => ({ ...e, id: 'Receipts Off' }), /entry 1 \("Receipts Off"\), id:/],
    ['a field nobody reads', (e) => ({ ...e, command: './x.sh' }), /unknown field "command"/],
    ['no verify', ({ verify: _, ...e }) => e, /verify: missing/],
    ['a dashboard that is not http(s)', (e) => ({ ...e, verify: { watch: 'x', dashboard: 'javascript:alert(1)' } }), /verify\.dashboard/],
    ['a service with a space', (e) => ({ ...e, services: ['check out'] }), /services\[0\]/],
  ];
  for (const [what, change, names] of bad) {
    it(`both refuse ${what}, and the load error names the field`, () => {
      const text = JSON.stringify({ mitigations: [change(good())] });
      const r = both(text);
      assert.equal(r.schema, false, `the JSON Schema accepted ${what}`);
      assert.equal(r.zod.ok, false, `zod accepted ${what}`);
      assert.match(r.zod.ok ? '' : r.zod.message, names);
    });
  }

  it('the load error counts entries from 1 and names the broken one among good ones', () => {
    const r = parseCatalog(JSON.stringify({ mitigations: [good(), { ...good(), id: 'second', risk: 'urgent' }] }));
    assert.equal(r.ok, false);
    assert.match(r.ok ? '' : r.message, /^entry 2 \("second"\), risk:/);
  });

  it('refuses two entries with one id (zod only: JSON Schema cannot say unique by a field)', () => {
    const r = parseCatalog(JSON.stringify({ mitigations: [good(), good()] }));
    assert.match(r.ok ? '' : r.message, /entry 2 \("receipts-off"\), id: "receipts-off" is used by an earlier entry/);
  });

  it('says when the file is not JSON at all', () => {
    const r = parseCatalog('{ "mitigations": [ ');
    assert.match(r.ok ? '' : r.message, /not valid JSON/);
  });

  it('the schema file carries the patterns and kinds the code checks (one source of each rule)', () => {
    const items = ((schema['properties'] as Record<string, { items: { properties: Record<string, Record<string, unknown>> } }>)['mitigations']!).items.properties;
    assert.equal(items['id']!['pattern'], ID_PATTERN);
    assert.deepEqual(items['kind']!['enum'], [...MITIGATION_KINDS]);
    const argv = items['argv'] as { items: { pattern: string }[]; additionalItems: { pattern: string } };
    assert.equal(argv.items[0]!.pattern, PROGRAM_PATTERN);
    assert.equal(argv.additionalItems.pattern, ARG_PATTERN);
    assert.equal((items['services'] as { items: { pattern: string } }).items.pattern, SERVICE_PATTERN);
  });

  it("every kind maps to one of the wire's mitigation actions", () => {
    for (const kind of MITIGATION_KINDS) assert.ok((MITIGATION_ACTIONS as readonly string[]).includes(KIND_ACTIONS[kind]), kind);
    assert.equal(KIND_ACTIONS['traffic-shift'], 'traffic_shift');
    assert.equal(KIND_ACTIONS['load-shed'], 'load_shed');
  });
});
