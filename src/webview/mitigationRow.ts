import type { Assessment } from '../protocol/events';
import type { MitigationView, SidebarCommand } from '../protocol/webviewMessages';
import { h, icon } from './dom';
import { clock } from './format';

type Run = (command: SidebarCommand, args?: Record<string, unknown>) => void;

/** The row's answers, in the notification's order. */
const ANSWERS: readonly { readonly value: Assessment; readonly label: string; readonly codicon: string }[] = [
  { value: 'helped', label: 'Helped', codicon: 'pass' },
  { value: 'no_change', label: 'No change', codicon: 'dash' },
  { value: 'worse', label: 'Worse', codicon: 'arrow-down' },
  { value: 'too_early', label: 'Too early', codicon: 'watch' },
];
const ASSESSMENT_ICONS: Readonly<Record<Assessment, string>> = { helped: 'pass', no_change: 'dash', worse: 'warning', too_early: 'watch' };

/**
 * An answer being written on a row: the choice and the evidence typed so far. Kept across renders (every change on
 * the channel re-renders the sidebar), so a teammate's note does not wipe what is being typed.
 */
let editing: { mitigationId: string; assessment?: Assessment; text: string; focused: boolean } | undefined;

/** One mitigation: what ran and its state; then its latest "did it help?" answer, the alerts that resolved after it, and the question while it waits. */
export function mitigationRow(m: MitigationView, run: Run, now: number): HTMLElement {
  const stateIcon = m.state === 'open' ? 'loading' : m.state === 'succeeded' ? 'pass' : m.state === 'failed' ? 'error' : 'circle-slash';
  const mine = editing?.mitigationId === m.id ? editing : undefined;
  const a = m.assessment;
  // A click that opens the form (or Change) rebuilds just this row, from the same view and `editing`.
  const redraw = () => li.replaceWith(mitigationRow(m, run, now));
  const li: HTMLElement = h('li', { class: `mit ${m.state}`, 'data-testid': 'mitigation-row', 'data-mitigation-id': m.id },
    icon(stateIcon),
    h('span', { class: 'mit-text' }, m.description, h('span', { class: 'muted' }, ` · ${m.state === 'open' ? 'running' : m.state}`)),
    a ? h('span', { class: `mit-line assessment as-${a.value}`, 'data-testid': 'mitigation-assessment', title: `${a.by}, ${new Date(a.at).toLocaleString()}` },
      icon(ASSESSMENT_ICONS[a.value]), h('span', {}, ` ${cap(a.label)}`),
      a.evidence ? h('span', { class: 'evidence' }, ` — ${a.evidence}`) : null,
      h('span', { class: 'muted' }, ` · ${a.by}`),
      m.askAgainAt ? h('span', { class: 'muted' }, ` · asking again ${clock(m.askAgainAt, now)}`) : null,
      !m.awaiting && !mine ? h('button', { class: 'link', title: 'Record a new answer', 'aria-label': `Change whether ${m.description} helped`, onclick: () => {
        editing = { mitigationId: m.id, text: '', focused: false };
        redraw();
      } }, 'Change') : null) : null,
    ...(m.resolvedAfter ?? []).map((r) => h('span', { class: 'mit-line muted resolved-after', 'data-testid': 'mitigation-resolved-after' }, icon('bell-slash'), ` ${r}`)),
    m.awaiting || mine ? ask(m, run, mine, redraw) : null,
  );
  return li;
}

/** "Did it help?" and the four answers; once one is chosen, the line of evidence with Record and Cancel. */
function ask(m: MitigationView, run: Run, mine: typeof editing, redraw: () => void): HTMLElement {
  if (mine?.assessment) {
    const chosen = mine.assessment;
    const label = ANSWERS.find((x) => x.value === chosen)?.label ?? chosen;
    const input = h('input', {
      type: 'text', class: 'evidence-input', 'data-testid': 'assess-evidence', maxlength: 2000, value: mine.text,
      placeholder: chosen === 'too_early' ? 'What are you waiting to see? (optional)' : 'What did you see? (optional)',
      'aria-label': `Evidence that ${m.description}: ${label}`,
    });
    const submit = () => {
      editing = undefined;
      run('incidentRoom.assessMitigation', { mitigationId: m.id, assessment: chosen, ...(input.value.trim() ? { evidence: input.value.trim() } : {}) });
    };
    const cancel = () => { editing = undefined; redraw(); };
    input.addEventListener('input', () => { if (editing) editing.text = input.value; });
    input.addEventListener('focus', () => { if (editing) editing.focused = true; });
    input.addEventListener('blur', () => { if (editing) editing.focused = false; });
    input.addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter') submit();
      else if (ev.key === 'Escape') cancel();
    });
    const form: HTMLElement = h('div', { class: 'mit-line assess-form', 'data-testid': 'assess-form' },
      h('span', { class: 'assess-q' }, `${label}:`), input,
      h('span', { class: 'assess-buttons' },
        h('button', { class: 'btn primary', 'data-testid': 'assess-record', onclick: submit }, 'Record'),
        h('button', { class: 'btn', onclick: cancel }, 'Cancel')));
    if (mine.focused) queueMicrotask(() => { input.focus(); input.setSelectionRange(input.value.length, input.value.length); });
    return form;
  }
  const changing = mine && !m.awaiting;
  return h('div', { class: 'mit-line assess-ask', 'data-testid': 'assess-ask', role: 'group', 'aria-label': `Did ${m.description} help?` },
    h('span', { class: 'assess-q' }, changing ? 'Now:' : 'Did it help?'),
    h('span', { class: 'assess-buttons' }, ...ANSWERS.map((x) => h('button', {
      class: `btn chip as-${x.value}`, 'data-testid': `assess-${x.value}`, title: x.value === 'too_early' ? 'Cannot tell yet: asked again in a few minutes' : x.label,
      onclick: () => {
        editing = { mitigationId: m.id, assessment: x.value, text: '', focused: true };
        redraw();
      },
    }, icon(x.codicon), h('span', {}, x.label))),
    changing ? h('button', { class: 'link', onclick: () => { editing = undefined; redraw(); } }, 'Cancel') : null));
}

const cap = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);
