// Answering the extension's prompts in the real workbench: input boxes and quick picks of the quick-input widget.
//
// Every answer waits until the workbench has taken it: after Enter, the prompt stays on screen until the value is
// accepted (an input box with a validator first asks the extension host), and a prompt that is still open when the
// next keystroke opens the palette is closed by it, so the command sees a dismissal and drops the answer. That
// was the flaky "Set Status" of the palette test: the next F1 arrived during the note box's validation round trip.
import { pickRow, runCommand, waitForActivityItem, webviewFrame } from './codeServer.mjs';

/** Wait for the quick input showing `prompt` (text of its message or placeholder), type `text`, press Enter. */
export async function answer(page, prompt, text, { timeout = 15e3 } = {}) {
  const widget = page.locator('.quick-input-widget');
  const shown = await waitForQuickInput(page, prompt, false, timeout);
  await widget.locator('.quick-input-box input').fill(text);
  await page.keyboard.press('Enter');
  await waitForQuickInputTaken(page, shown, timeout);
}

/** In a quick pick titled/placeheld `prompt`, pick the row whose label contains `label`. */
export async function choose(page, prompt, label, { timeout = 15e3 } = {}) {
  const widget = page.locator('.quick-input-widget');
  const shown = await waitForQuickInput(page, prompt, true, timeout);
  await widget.locator('.quick-input-box input').fill(label);
  await pickRow(page, label, { timeout });
  await waitForQuickInputTaken(page, shown, timeout);
}

/** What the quick input shows as its prompt (message, title, placeholder, label), or null when it is hidden. */
function quickInputPrompt() {
  const w = document.querySelector('.quick-input-widget');
  if (!w || w.style.display === 'none') return null;
  const input = w.querySelector('.quick-input-box input');
  return [w.querySelector('.quick-input-message')?.textContent, w.querySelector('.quick-input-title')?.textContent, input?.getAttribute('placeholder'), input?.getAttribute('aria-label')].join(' ');
}

/** Wait until the quick input shows `prompt` (in its message, title, placeholder or label), with rows if asked. */
// (The predicates are expressions, not closures: quickInputPrompt has to travel into the page with them.)
async function waitForQuickInput(page, prompt, withRows, timeout) {
  const handle = await page.waitForFunction(`(() => {
    const seen = (${quickInputPrompt})();
    const rows = document.querySelectorAll('.quick-input-widget .monaco-list-row').length;
    return seen !== null && seen.includes(${JSON.stringify(prompt)}) && (${!withRows} || rows > 0) && seen;
  })()`, undefined, { timeout });
  return handle.jsonValue();
}

/** Wait until the prompt that showed `shown` is gone: hidden, or replaced by the command's next prompt. */
async function waitForQuickInputTaken(page, shown, timeout) {
  await page.waitForFunction(`(${quickInputPrompt})() !== ${JSON.stringify(shown)}`, undefined, { timeout });
}

/**
 * Open the Incident Room sidebar, wait for it to load, declare `declaration` through the palette and wait for its
 * card: how most workbench tests begin. Returns the sidebar's frame.
 */
export async function openSidebarAndDeclare(page, declaration) {
  await (await waitForActivityItem(page, 'Incident Room')).click();
  const web = webviewFrame(page);
  await web.locator('[data-testid="declare"]').waitFor({ timeout: 60e3 }); // the sidebar has loaded
  await declareThroughPalette(page, declaration);
  await web.locator('[data-testid="incident-title"]', { hasText: declaration.title }).waitFor({ timeout: 20e3 });
  return web;
}

/** Declare an incident through the palette and its five prompts, as a responder would. */
export async function declareThroughPalette(page, { title, severity = 'SEV2', symptom = '', scope = '' }) {
  await runCommand(page, 'Incident: Declare Incident', { prompts: true });
  await answer(page, 'Title', title);
  await choose(page, 'severity', severity);
  await answer(page, 'Symptom', symptom);
  await answer(page, 'Scope', scope);
  await answer(page, 'When was it detected', 'now');
}

/** Add a note through the palette. */
export async function addNoteThroughPalette(page, text, tag = 'note') {
  await runCommand(page, 'Incident: Add Note', { prompts: true });
  await answer(page, 'Note text', text);
  await choose(page, 'What kind of note', tag);
}

/** Assign `role` (its label, e.g. "Scribe") to someone not yet on the incident, through the palette, with no brief. */
export async function assignThroughPalette(page, role, person) {
  await runCommand(page, 'Incident: Assign Role', { prompts: true });
  await choose(page, 'Assign Role', role);
  await choose(page, `Who becomes ${role}`, 'Someone else');
  await answer(page, 'Their id', person.id);
  // Nobody with that id has been seen on the incident yet: the extension asks before it uses a new id.
  const dialog = page.locator('.monaco-dialog-box', { hasText: `Nobody with the id "${person.id}"` });
  await dialog.waitFor({ timeout: 15e3 });
  await dialog.locator('a.monaco-button, button', { hasText: 'Use This Id' }).first().click();
  await dialog.waitFor({ state: 'detached', timeout: 15e3 });
  await answer(page, 'Their display name', person.name);
  await answer(page, 'Brief for the new holder', '');
  // Then: which workstream will they own? Not now (the role is theirs either way).
  await choose(page, `which workstream will ${person.name} own`, 'Not now');
}
