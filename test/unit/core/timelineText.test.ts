import assert from 'node:assert/strict';
import { type SharedTextKind, sharedEventText, type TextStyle } from '../../../src/core/eventText';
import { renderPostmortem } from '../../../src/core/postmortem';
import { fold } from '../../../src/core/reducer';
import { describeEvent } from '../../../src/core/timelineText';
import type { SequencedEventOf } from '../../../src/protocol/events';
import { ALICE, BOB, Script } from './eventBuilder';

describe('core/timelineText', () => {
  // Built as they arrive: parsed from JSON, not shared objects.
  const script = () => {
    const s = new Script('INC-5');
    const events = [
      s.declare(JSON.parse('{"title":"Pay *down*","severity":"SEV2","symptom":"5xx | timeouts"}'), { at: 0, by: ALICE }),
      s.add('severity.changed', JSON.parse('{"severity":"SEV1","reason":"all regions"}'), { at: 1 }),
      s.add('status.changed', JSON.parse('{"status":"mitigating"}'), { at: 2 }),
      s.add('role.assigned', { role: 'scribe', user: BOB, note: 'notes in the doc' }, { at: 3 }),
      s.add('role.assigned', JSON.parse('{"role":"commander","user":null,"note":"shift over"}'), { at: 4 }),
      s.add('note.added', JSON.parse('{"text":"pool_size is 5","tag":"fact","source":{"path":"src/db.ts","startLine":3,"endLine":4}}'), { at: 5 }),
    ] as SequencedEventOf<SharedTextKind>[];
    return { s, events };
  };

  it('describes the kinds it shares with the postmortem in plain words', () => {
    assert.deepEqual(script().events.map((e) => describeEvent(e)), [
      'Declared SEV2: Pay *down* — 5xx | timeouts',
      'Severity → SEV1 (all regions)',
      'Status → mitigating',
      'Scribe → Bob Baker — brief: notes in the doc',
      'Commander unassigned (shift over)',
      'Fact: pool_size is 5 (src/db.ts:3-4)',
    ]);
  });

  it('the postmortem timeline says the same as the sidebar for those kinds, in Markdown', () => {
    const { s, events } = script();
    const md = renderPostmortem(fold('INC-5', s.events), { now: new Date(s.time(10)), timeZone: 'UTC' });
    const cells = md.split('\n').filter((l) => /^\| \d+ \|/.test(l)).map((l) => l.split(' | ').at(-1)?.replace(/ \|$/, ''));
    assert.deepEqual(cells, [
      'Declared SEV2: **Pay \\*down\\*** — 5xx \\| timeouts',
      'Severity → **SEV1**: all regions',
      'Status → **mitigating**',
      'Scribe → Bob Baker — handoff brief: notes in the doc',
      'Commander unassigned: shift over',
      'Fact: pool\\_size is 5 — src/db.ts:3-4',
    ]);
    assert.equal(events.length, cells.length);
  });

  it('passes every piece of user text through the style, so Markdown escaping cannot be skipped for one kind', () => {
    const seen: string[] = [];
    const style: TextStyle = {
      text: (t) => (seen.push(t), `<${t}>`), strong: (t) => t, aside: (t) => ` [${t}]`, brief: (t) => ` [${t}]`, source: () => ' [src]',
    };
    const out = script().events.map((e) => sharedEventText(e, style));
    assert.deepEqual(out, [
      'Declared SEV2: <Pay *down*> — <5xx | timeouts>',
      'Severity → SEV1 [all regions]',
      'Status → mitigating',
      'Scribe → <Bob Baker> [notes in the doc]',
      'Commander unassigned [shift over]',
      'Fact: <pool_size is 5> [src]',
    ]);
    assert.deepEqual(seen, ['Pay *down*', '5xx | timeouts', 'Bob Baker', 'pool_size is 5']);
  });
});
