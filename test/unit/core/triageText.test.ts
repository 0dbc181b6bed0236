import assert from 'node:assert/strict';
import { triageHeadline } from '../../../src/core/eventText';
import { impactsOf, parseCount, parseList, whereText, whoText } from '../../../src/core/triageText';
import { EventData } from '../../../src/protocol/events';

/** As the wire brings it. */
const triage = (json: string) => EventData['triage.recorded'].parse(JSON.parse(json));
const FULL = triage(`{"users":{"share":"some","text":"EU card payers","count":1200},"regions":["eu-west-1","eu-central-1"],"routes":["/pay"],
  "tenants":["acme"],"trend":"growing","customer":{"level":"confirmed","evidence":"31% 5xx"},"financial":{"level":"suspected"},"dataIntegrity":{"level":"none"}}`);
const BARE = triage('{"users":{"share":"unknown"},"regions":[],"routes":[],"tenants":[],"trend":"unknown","customer":{"level":"none"},"financial":{"level":"none"},"dataIntegrity":{"level":"none"}}');

describe('core/triageText', () => {
  it('who: the share, the count in one style whatever the locale, the responders\' words', () => {
    assert.equal(whoText(FULL), 'Some users · ~1,200 · EU card payers');
    assert.equal(whoText(BARE), 'Users affected: unknown share');
    assert.equal(whoText({ users: { share: 'all', count: 0 } }), 'All users · ~0');
  });

  it('where: regions, routes, then tenants named as such; empty when none', () => {
    assert.equal(whereText(FULL), 'eu-west-1, eu-central-1, /pay, tenant acme');
    assert.equal(whereText(BARE), '');
  });

  it('impacts in their fixed order with their names', () => {
    assert.deepEqual(impactsOf(FULL).map((i) => `${i.label}: ${i.check.level}`), ['Customer: confirmed', 'Financial: suspected', 'Data integrity: none']);
  });

  it('the timeline\'s one line: who with count and words, where, trend, the impacts that are not none', () => {
    assert.equal(triageHeadline(FULL), 'some users affected (~1,200, EU card payers); in eu-west-1, eu-central-1, /pay, tenant acme; trend growing; customer impact confirmed, financial impact suspected');
    assert.equal(triageHeadline(BARE), 'users affected: unknown; trend unknown; no customer, financial or data-integrity impact found');
  });

  it('parseList: comma lists trimmed, empties dropped, each once; the wire\'s limits named', () => {
    assert.deepEqual(parseList(' eu-west-1,  us-east-1 ,,eu-west-1, '), { items: ['eu-west-1', 'us-east-1'] });
    assert.deepEqual(parseList(''), { items: [] });
    assert.deepEqual(parseList(Array.from({ length: 51 }, (_, i) => `r${i}`).join(',')), { error: 'At most 50 items' });
    assert.match((parseList(`a, ${'x'.repeat(201)}`) as { error: string }).error, /longer than 200 characters/);
  });

  it('parseCount: the ways people write an estimate; empty is none; anything else is refused', () => {
    const cases: [string, number | undefined | null][] = [
      ['1200', 1200], ['1,200', 1200], ['~1200', 1200], ['about 1 200', 1200], ['1.2k', 1200], ['3M', 3_000_000], ['0', 0],
      ['', undefined], ['  ', undefined], ['lots', null], ['-5', null], ['12%', null], ['2e3', null], ['9999999999999', null],
    ];
    for (const [text, want] of cases) assert.equal(parseCount(text), want, JSON.stringify(text));
  });
});
