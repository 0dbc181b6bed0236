import * as assert from 'node:assert/strict';
import type { Signal } from '../../../src/protocol/messages';
import type { Mitigation } from '../../../src/core/incidentState';
import {
  declarationFromSignal, resolvedAfterMitigation, signalCounts, signalLinkData, signalLinks, signalSeverity, signalViews, sortSignals,
  SIGNALS_SHOWN,
} from '../../../src/core/signals';

const signal = (over: Partial<Signal> = {}): Signal => ({
  fingerprint: 'a1b2c3d4e5f60718', status: 'firing',
  labels: { alertname: 'HighErrorRate', severity: 'critical', service: 'checkout', region: 'eu-west-1', instance: 'pod-7' },
  annotations: { summary: 'Checkout 5xx above 5%', description: 'Error ratio 0.12 for 5m\nsecond line', runbook_url: 'https://runbooks.example.com/checkout' },
  startsAt: '2026-12-02T14:00:00Z', endsAt: null, generatorURL: 'http://prometheus:9090/graph?g0.expr=x',
  incidentId: null, receivedAt: '2026-12-02T14:00:05Z', updatedAt: '2026-12-02T14:00:05Z',
  ...over,
});

describe('signals (core)', () => {
  it('declares from a signal: title from the summary, severity from the label, symptom, scope from labels, detection at its start', () => {
    const d = declarationFromSignal(signal());
    assert.deepEqual(d, {
      title: 'Checkout 5xx above 5%', severity: 'SEV1', symptom: 'Error ratio 0.12 for 5m\nsecond line',
      scope: 'service=checkout, region=eu-west-1, instance=pod-7', detectedAt: '2026-12-02T14:00:00Z',
    });
  });

  it('the sidebar line of an alert without a summary: Grafana\'s title, else the description\'s first line, else its name', () => {
    const line = (annotations: Signal['annotations']) => signalViews([signal({ annotations })]).shown[0]?.summary;
    assert.equal(line({ title: 'Checkout 5xx (Grafana)', description: 'more' }), 'Checkout 5xx (Grafana)');
    assert.equal(line({ description: '  Error ratio 0.12 for 5m\nsecond line' }), 'Error ratio 0.12 for 5m');
    assert.equal(line({ description: 'Disk 93% full\r\nsee runbook' }), 'Disk 93% full');
    assert.equal(line({}), 'HighErrorRate');
  });

  it('falls back to the alertname for the title and leaves an unmapped severity for the user', () => {
    const d = declarationFromSignal(signal({ annotations: {}, labels: { alertname: 'DiskFull', severity: 'ticket' } }));
    assert.equal(d.title, 'DiskFull');
    assert.equal(d.severity, undefined);
    assert.equal(d.symptom, '');
    assert.equal(d.scope, '');
  });

  it('maps severity label values ignoring case, with a configurable label and map', () => {
    assert.equal(signalSeverity(signal({ labels: { severity: 'WARNING' } })), 'SEV3');
    assert.equal(signalSeverity(signal({ labels: { priority: 'P1' } }), { label: 'priority', map: { p1: 'SEV1' } }), 'SEV1');
    assert.equal(signalSeverity(signal({ labels: {} })), undefined);
  });

  it('sorts firing (newest start first) before resolved (newest end first)', () => {
    const a = signal({ fingerprint: 'a', startsAt: '2026-12-02T14:00:00Z' });
    const b = signal({ fingerprint: 'b', startsAt: '2026-12-02T14:05:00Z' });
    const c = signal({ fingerprint: 'c', status: 'resolved', endsAt: '2026-12-02T14:10:00Z' });
    const d = signal({ fingerprint: 'd', status: 'resolved', endsAt: '2026-12-02T14:20:00Z' });
    assert.deepEqual(sortSignals([c, a, d, b]).map((s) => s.fingerprint), ['b', 'a', 'd', 'c']);
  });

  it('offers only http(s) links: graph, runbook, dashboard, panel, silence', () => {
    const s = signal({ dashboardURL: 'https://grafana.example.com/d/abc', panelURL: 'https://grafana.example.com/d/abc?viewPanel=2', silenceURL: 'https://grafana.example.com/alerting/silence/new' });
    assert.deepEqual(signalLinks(s).map((l) => l.label), ['Graph', 'Runbook', 'Dashboard', 'Panel', 'Silence']);
    const hostile = signal({ annotations: { runbook_url: 'javascript:alert(1)' }, generatorURL: null });
    assert.deepEqual(signalLinks(hostile), []);
  });

  it('links with what the timeline needs without the channel list', () => {
    assert.deepEqual(signalLinkData(signal()), {
      fingerprint: 'a1b2c3d4e5f60718', alertname: 'HighErrorRate', summary: 'Checkout 5xx above 5%', startsAt: '2026-12-02T14:00:00Z',
      labels: { alertname: 'HighErrorRate', severity: 'critical', service: 'checkout', region: 'eu-west-1', instance: 'pod-7' },
      generatorURL: 'http://prometheus:9090/graph?g0.expr=x',
    });
  });

  it('shows at most SIGNALS_SHOWN firing signals and counts them all', () => {
    const many = Array.from({ length: SIGNALS_SHOWN + 3 }, (_, k) => signal({ fingerprint: `f${k}` }));
    const v = signalViews([...many, signal({ fingerprint: 'r', status: 'resolved', endsAt: '2026-12-02T15:00:00Z' })]);
    assert.equal(v.firing, SIGNALS_SHOWN + 3);
    assert.equal(v.shown.length, SIGNALS_SHOWN);
    assert.deepEqual(v.shown[0]?.links, ['Graph', 'Runbook']);
    assert.equal(v.shown[0]?.severity, 'SEV1');
    // In a storm the client holds the few hundred listed; the server's count is the channel's (never fewer than held).
    assert.equal(signalViews(many, undefined, 10_000).firing, 10_000);
    assert.equal(signalViews(many, undefined, 2).firing, SIGNALS_SHOWN + 3);
  });

  it('counts what the channel lists: every firing signal, and those resolved in the last 24 hours', () => {
    const now = Date.parse('2026-12-03T12:00:00Z');
    // As the channel sends them: parsed from JSON.
    const wire = (over: Partial<Signal>) => JSON.parse(JSON.stringify(signal(over))) as Signal;
    const all = [
      wire({ fingerprint: 'f1' }),
      wire({ fingerprint: 'f2', startsAt: '2026-11-01T00:00:00Z' }), // firing for a month: still counted
      wire({ fingerprint: 'r1', status: 'resolved', endsAt: '2026-12-03T11:59:00Z' }),
      wire({ fingerprint: 'r2', status: 'resolved', endsAt: '2026-12-02T12:00:00Z' }), // exactly 24 hours ago: still listed
      wire({ fingerprint: 'r3', status: 'resolved', endsAt: '2026-12-02T11:59:59Z' }), // a second older: no longer listed
      wire({ fingerprint: 'r4', status: 'resolved', endsAt: null }), // no end time: the list leaves it out
    ];
    assert.deepEqual(signalCounts(all, now), { firing: 2, resolved: 2 });
    assert.deepEqual(signalCounts([], now), { firing: 0, resolved: 0 });
    assert.deepEqual(signalCounts(all.filter((s) => s.status === 'resolved'), now), { firing: 0, resolved: 2 });
  });

  it('alerts that started at the same moment keep one order, by fingerprint, however they arrived', () => {
    const same = ['c', 'a', 'd', 'b'].map((fingerprint) => signal({ fingerprint }));
    const ended = ['y', 'x'].map((fingerprint) => signal({ fingerprint, status: 'resolved', endsAt: '2026-12-02T15:00:00Z' }));
    for (const order of [[...same, ...ended], [...ended, ...same].reverse(), [same[2]!, ended[0]!, same[0]!, same[3]!, ended[1]!, same[1]!]]) {
      assert.deepEqual(sortSignals([...order]).map((s) => s.fingerprint), ['a', 'b', 'c', 'd', 'x', 'y']);
    }
  });

  it('names a Grafana alert by its rule name when it has no alertname, else by its fingerprint', () => {
    const name = (labels: Record<string, string>) => signalViews([signal({ labels })]).shown[0]?.name;
    assert.equal(name({ rulename: 'Checkout latency', severity: 'critical' }), 'Checkout latency');
    assert.equal(name({ alertname: 'HighErrorRate', rulename: 'Checkout latency' }), 'HighErrorRate');
    assert.equal(name({ service: 'checkout' }), 'a1b2c3d4e5f60718');
  });

  it('the sidebar line prefers the summary over Grafana\'s title and the description', () => {
    const v = signalViews([signal({ annotations: { summary: 'Checkout 5xx above 5%', title: 'Checkout (Grafana)', description: 'Error ratio 0.12' } })]);
    assert.equal(v.shown[0]?.summary, 'Checkout 5xx above 5%');
  });

  it('the sidebar shows the severity label\'s own value next to the severity it maps to', () => {
    const [shown] = signalViews([signal({ labels: { alertname: 'DiskFull', severity: 'Warning' } })]).shown;
    assert.equal(shown?.severity, 'SEV3');
    assert.equal(shown?.severityLabel, 'Warning');
    const [unlabelled] = signalViews([signal({ labels: { alertname: 'DiskFull' } })]).shown;
    assert.equal(unlabelled?.severity, null);
    assert.equal(unlabelled?.severityLabel, null);
  });

  it('finds the runbook and dashboard under the other annotation names alerting rules use', () => {
    const labels = (annotations: Signal['annotations']) => signalLinks(signal({ annotations, generatorURL: null })).map((l) => `${l.label} ${l.url}`);
    assert.deepEqual(labels({ runbook: 'https://runbooks.example.com/disk' }), ['Runbook https://runbooks.example.com/disk']);
    assert.deepEqual(labels({ dashboard_url: 'https://grafana.example.com/d/disk' }), ['Dashboard https://grafana.example.com/d/disk']);
    assert.deepEqual(labels({ dashboard: 'https://grafana.example.com/d/pool' }), ['Dashboard https://grafana.example.com/d/pool']);
    // A link must start as a web page: a script that merely mentions one is not offered.
    assert.deepEqual(labels({ runbook_url: 'javascript:fetch("https://evil.example.com")', dashboard: 'file:///etc/http://x' }), []);
  });

  it('declares from a Grafana alert with its title, and clips a long title to 200 characters with an ellipsis', () => {
    assert.equal(declarationFromSignal(signal({ annotations: { title: 'Checkout latency above 2s' } })).title, 'Checkout latency above 2s');
    const exact = 'x'.repeat(200);
    assert.equal(declarationFromSignal(signal({ annotations: { summary: exact } })).title, exact, 'exactly 200: kept whole');
    const long = declarationFromSignal(signal({ annotations: { summary: `${'y'.repeat(199)}zzz` } })).title;
    assert.equal(long, `${'y'.repeat(199)}…`);
  });

  it('links a Grafana alert with its title as the summary the timeline shows', () => {
    const data = signalLinkData(signal({ annotations: { title: 'Checkout latency above 2s' } }));
    assert.equal(data.summary, 'Checkout latency above 2s');
    assert.equal('summary' in signalLinkData(signal({ annotations: {} })), false);
  });

  describe('did the mitigation help', () => {
    const m = (over: Partial<Mitigation>): Mitigation => ({
      id: 'm', action: 'rollback', description: 'Roll back', startedAt: '2026-12-02T14:10:00Z', startedSeq: 3, startedBy: { id: 'a', name: 'A' },
      state: 'succeeded', finishedAt: '2026-12-02T14:12:00Z', target: { ref: 'release-42' }, assessments: [], ...over,
    });
    it('names the last mitigation that finished before the alert resolved, and how long before', () => {
      assert.equal(resolvedAfterMitigation('2026-12-02T14:18:30Z', [m({})]), '6 min after rollback of release-42 finished');
      assert.equal(resolvedAfterMitigation('2026-12-02T14:12:20Z', [m({})]), 'under a minute after rollback of release-42 finished');
      assert.equal(resolvedAfterMitigation('2026-12-02T14:18:00Z', [m({}), m({ id: 'n', action: 'feature_flag', target: undefined, finishedAt: '2026-12-02T14:15:00Z' })]),
        '3 min after feature flag change finished');
    });
    it('credits the one that finished last, whatever order they were started in', () => {
      // A restart started after the rollback but done first: the alert resolved after the rollback finished.
      const rollback = m({ id: 'r', finishedAt: '2026-12-02T14:16:00Z' });
      const restart = m({ id: 's', action: 'restart', target: undefined, startedAt: '2026-12-02T14:11:00Z', finishedAt: '2026-12-02T14:13:00Z' });
      assert.equal(resolvedAfterMitigation('2026-12-02T14:20:00Z', [rollback, restart]), '4 min after rollback of release-42 finished');
    });
    it('counts whole minutes: one minute is "1 min", an hour reads as hours', () => {
      assert.equal(resolvedAfterMitigation('2026-12-02T14:13:30Z', [m({})]), '1 min after rollback of release-42 finished');
      assert.equal(resolvedAfterMitigation('2026-12-02T15:12:00Z', [m({})]), '1h 00m after rollback of release-42 finished');
      assert.equal(resolvedAfterMitigation('2026-12-02T15:11:00Z', [m({})]), '59 min after rollback of release-42 finished');
    });
    it('says when the mitigation that finished last had failed', () => {
      assert.equal(resolvedAfterMitigation('2026-12-02T14:20:00Z', [m({ state: 'failed' })]), '8 min after rollback of release-42 failed');
    });
    it('credits a mitigation that finished the moment the alert resolved', () => {
      assert.equal(resolvedAfterMitigation('2026-12-02T14:12:00Z', [m({})]), 'under a minute after rollback of release-42 finished');
    });
    it('says nothing when none finished before, or it was cancelled', () => {
      assert.equal(resolvedAfterMitigation('2026-12-02T14:11:00Z', [m({})]), undefined);
      assert.equal(resolvedAfterMitigation('2026-12-02T15:00:00Z', [m({ state: 'cancelled' })]), undefined);
      assert.equal(resolvedAfterMitigation('2026-12-02T15:00:00Z', [m({ state: 'open', finishedAt: undefined })]), undefined);
    });
  });
});
