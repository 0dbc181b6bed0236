import * as assert from 'node:assert/strict';
import { incidentServices, preparedFor, type Prepared } from '../../../src/core/preparedMitigations';
import { fold } from '../../../src/core/reducer';
import { Script } from './eventBuilder';

/** A catalog as it arrives: parsed from JSON, in the author's order (not risk order). */
const CATALOG = JSON.parse(JSON.stringify([
  { id: 'restart-checkout', risk: 'high', services: ['checkout'] },
  { id: 'shift-eu-central', risk: 'medium', services: ['Checkout'] },
  { id: 'shed-recommendations', risk: 'low', services: ['storefront'] },
  { id: 'receipts-off', risk: 'low', services: ['checkout', 'orders-db'] },
  { id: 'page-dba', risk: 'medium' },
])) as Prepared[];

const ids = (xs: readonly Prepared[]) => xs.map((x) => x.id);

describe('preparedFor: lowest risk first, the incident\'s services', () => {
  it('orders by risk, the catalog order within a risk, when the incident names no service', () => {
    const list = preparedFor(CATALOG, []);
    assert.deepEqual(ids(list.shown), ['shed-recommendations', 'receipts-off', 'shift-eu-central', 'page-dba', 'restart-checkout']);
    assert.equal(list.hidden, 0);
  });

  it('keeps the ones for the incident\'s services (names compared ignoring case) and those for any service', () => {
    const list = preparedFor(CATALOG, ['checkout']);
    assert.deepEqual(ids(list.shown), ['receipts-off', 'shift-eu-central', 'page-dba', 'restart-checkout']);
    assert.equal(list.hidden, 1);
    assert.deepEqual(list.services, ['checkout']);
  });

  it('an entry for several services shows for any of them', () => {
    assert.deepEqual(ids(preparedFor(CATALOG, ['orders-db']).shown), ['receipts-off', 'page-dba']);
  });

  it('hides nothing when none of the catalog is for the incident\'s services (an empty list only sends you to the file)', () => {
    const list = preparedFor(CATALOG, ['search']);
    assert.equal(list.shown.length, CATALOG.length);
    assert.equal(list.hidden, 0);
    assert.deepEqual(list.services, []);
  });
});

describe('incidentServices: what the incident says it is about', () => {
  it('takes the service label of every linked signal', () => {
    const s = new Script();
    s.declare({ title: 'Checkout 5xx' });
    s.add('signal.linked', { fingerprint: 'a1b2c3d4', alertname: 'CheckoutHighErrorRate', startsAt: s.time(0), labels: { service: 'Checkout', severity: 'critical' } });
    s.add('signal.linked', { fingerprint: 'e5f6a7b8', alertname: 'OrdersDbPoolSaturated', startsAt: s.time(1), labels: { app: 'orders-db' } });
    assert.deepEqual(incidentServices(fold('INC-7', s.events)), ['checkout', 'orders-db']);
  });

  it('finds a catalog service named as a word in the scope or the triage, and not inside another word', () => {
    const s = new Script();
    s.declare({ scope: 'EU checkout, card payments' });
    s.add('triage.recorded', {
      users: { share: 'some' }, regions: ['eu-west-1'], routes: ['/storefront-v2/home'], tenants: [], trend: 'growing',
      customer: { level: 'confirmed' }, financial: { level: 'none' }, dataIntegrity: { level: 'none' }, note: 'orders-db pool at 4',
    });
    const state = fold('INC-7', s.events);
    assert.deepEqual(incidentServices(state, ['checkout', 'orders-db', 'storefront', 'payments-gateway']), ['checkout', 'orders-db']);
  });

  it('is empty when nothing names a service', () => {
    const s = new Script();
    s.declare({ scope: 'everything is slow' });
    assert.deepEqual(incidentServices(fold('INC-7', s.events), ['checkout']), []);
  });
});
