import assert from 'node:assert/strict';
import { signalViews } from '../../../src/core/signals';
import { openSidebar, type Sidebar } from './sidebarDom';
import { signal, welcomeState } from './sidebarStates';

/** An alert storm as the sidebar shows it: the newest ten, and the channel's count as people read numbers. */
describe('webview/signals: an alert storm in the sidebar', () => {
  let sidebar: Sidebar | undefined;
  afterEach(async () => {
    await sidebar?.close();
    sidebar = undefined;
  });

  it('shows ten alerts and counts every one firing on the channel, with thousands separated', () => {
    sidebar = openSidebar();
    const held = Array.from({ length: 500 }, (_, i) => signal({ fingerprint: i.toString(16).padStart(16, '0'), incidentId: null }));
    // The client holds the 500 the server listed; the server counts 10,000 firing.
    sidebar.state({ ...welcomeState(), signals: signalViews(held, undefined, 10_000) });
    const section = sidebar.root.querySelector('[data-testid="signals"]');
    assert.equal(section?.querySelector('h2')?.textContent?.trim(), 'Firing (10,000)');
    assert.equal(section?.querySelectorAll('[data-testid="signal"]').length, 10);
    const more = [...(section?.querySelectorAll('button') ?? [])].find((b) => b.textContent?.includes('more firing'));
    assert.equal(more?.textContent, '9,990 more firing…');
  });
});
