import { StatusConnection } from './statusConnection';
import { StatusView } from './statusView';

// The stakeholder status page (PROTOCOL.md "Status page"), loaded by the HTML shell the channel server serves at
// /v1/channels/CHANNEL/status. The token, when one is needed, is asked once and kept in this tab's sessionStorage.

const channel = decodeURIComponent(location.pathname.split('/').at(-2) ?? '');
const key = `incident-room.status-token.${channel}`;
const stored = (() => {
  try {
    return sessionStorage.getItem(key);
  } catch {
    return null; // storage disabled: the reader types the token again after a reload
  }
})();

const view = new StatusView(channel, {
  main: document.getElementById('main')!, connection: document.getElementById('connection')!, footer: document.getElementById('footer')!,
});
const connection = new StatusConnection(location, stored, {
  onPage: (page) => view.showPage(page),
  onState: (state) => {
    if (state.kind === 'needToken' && state.reason !== 'none') {
      try {
        sessionStorage.removeItem(key);
      } catch {
        // nothing stored
      }
    }
    view.showState(state);
  },
});
view.onToken = (token) => {
  try {
    sessionStorage.setItem(key, token);
  } catch {
    // kept for this page only
  }
  connection.setToken(token);
};
connection.start();
setInterval(() => view.tick(), 1000);
