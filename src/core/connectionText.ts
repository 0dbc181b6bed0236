/** The sidebar's connection line: `online · payments @ host:7077`, `offline · 3 queued · <why>`, … */
export function connectionText(mode: 'local' | 'shared', status: string, queued: number, target: string, lastError?: string): string {
  const where = mode === 'local' ? 'local — this machine only' : channelLabel(target);
  const q = queued > 0 ? ` · ${queued} queued` : '';
  switch (status) {
    case 'online': return `online · ${where}${q}`;
    case 'connecting': return `connecting · ${where}${q}`;
    case 'unauthorized': return `token refused · ${where}${q}`;
    case 'forbidden': return `no access to this channel${q}${lastError ? ` · ${lastError}` : ''}`;
    case 'stopped': return lastError ? `not started: ${lastError}` : 'not started';
    default: return `offline${q}${lastError ? ` · ${lastError}` : ''}`;
  }
}

/** `ws://host:7077/v1/channels/payments` → `payments @ host:7077`. */
function channelLabel(target: string): string {
  const m = /^wss?:\/\/([^/]+)(?:\/.*)?\/v1\/channels\/([^/?#]+)/.exec(target);
  return m ? `${m[2]} @ ${m[1]}` : target.replace(/^wss?:\/\//, '');
}
