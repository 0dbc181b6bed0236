import type { Anchor } from './actionAnchor';
import type { ActionItem } from './incidentState';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * Text shown by VS Code where `$(name)` renders as an icon (CodeLens titles, status bar), made to show literally:
 * every `$(` of user text gets the backslash that VS Code's icon syntax reads as "not an icon".
 */
export function escapeCodicons(text: string): string {
  return text.replace(/\$\(/g, '\\$(');
}

/** A due date (`2027-03-03`) as a reader says it: `Mar 3`, with the year when it is not `today`'s. */
export function dueText(due: string, today: string): string {
  const [y, m, d] = due.split('-').map(Number) as [number, number, number];
  const month = MONTHS[m - 1];
  if (!month || !d) return due;
  return `${month} ${d}${due.slice(0, 4) === today.slice(0, 4) ? '' : `, ${y}`}`;
}

/**
 * The CodeLens title of an open action item anchored to code: `Follow-up INC-12: add a circuit breaker · owner Dana ·
 * due Mar 3`, `overdue since Mar 3` past its date, and `(moved? was line 40)` when the code was not found where it
 * was anchored. One line, user text cut to a readable length, icons escaped. `today`: the reader's `YYYY-MM-DD`.
 */
export function actionLensTitle(incidentId: string, item: Pick<ActionItem, 'title' | 'owner' | 'due' | 'source'>, anchor: Pick<Anchor, 'confidence'>, today: string): string {
  const parts = [`Follow-up ${incidentId}: ${oneLine(item.title, 120)}`];
  if (item.owner) parts.push(`owner ${oneLine(item.owner.name, 60)}`);
  if (item.due) parts.push(item.due < today ? `overdue since ${dueText(item.due, today)}` : `due ${dueText(item.due, today)}`);
  if (anchor.confidence === 'moved' && item.source) parts.push(`(moved? anchored at line ${item.source.startLine})`);
  return escapeCodicons(parts.join(' · '));
}

/** The lens's tooltip (plain text): the whole title, who owns it, where it was anchored and how sure its place is. */
export function actionLensTooltip(incidentId: string, item: Pick<ActionItem, 'title' | 'owner' | 'due' | 'source' | 'createdBy'>, anchor: Pick<Anchor, 'confidence'>): string {
  const lines = [`Action item of ${incidentId}: ${item.title}`];
  lines.push(item.owner ? `Owner: ${item.owner.name} (${item.owner.id})` : 'Owner: nobody yet');
  if (item.due) lines.push(`Due: ${item.due}`);
  lines.push(`Added by ${item.createdBy.name}`);
  const src = item.source;
  if (src) {
    const at = `${src.path}:${src.startLine}${src.endLine !== src.startLine ? `-${src.endLine}` : ''}${src.commit ? ` at ${src.commit.slice(0, 7)}` : ''}`;
    lines.push(`Anchored to ${at}`);
    lines.push(CONFIDENCE[anchor.confidence]);
  }
  lines.push('Click to edit it; Done marks it done for everyone on the incident.');
  return lines.join('\n');
}

const CONFIDENCE: Readonly<Record<Anchor['confidence'], string>> = {
  snippet: 'Found here by the code it was anchored to.',
  unchanged: 'The code it was anchored to is not found, but the file is unchanged since that commit: these are its lines.',
  moved: 'The code it was anchored to is no longer found in this file: shown at the lines it was anchored to, which may have moved.',
  tracked: 'Followed here through the edits made while the file was open.',
};

function oneLine(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  const chars = [...flat];
  return chars.length <= max ? flat : `${chars.slice(0, max - 1).join('')}…`;
}
