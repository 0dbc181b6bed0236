// Answering the extension's prompts in the real workbench: input boxes and quick picks of the quick-input widget.
import { runCommand } from './codeServer.mjs';

/** Wait for the quick input showing `prompt` (text of its message or placeholder), type `text`, press Enter. */
export async function answer(page, prompt, text, { timeout = 15e3 } = {}) {
  const widget = page.locator('.quick-input-widget');
  await waitForQuickInput(page, prompt, false, timeout);
  const input = widget.locator('.quick-input-box input');
  await input.fill(text);
  await page.keyboard.press('Enter');
}

/** In a quick pick titled/placeheld `prompt`, pick the row whose label contains `label`. */
export async function choose(page, prompt, label, { timeout = 15e3 } = {}) {
  const widget = page.locator('.quick-input-widget');
  await waitForQuickInput(page, prompt, true, timeout);
  await widget.locator('.quick-input-box input').fill(label);
  const row = widget.locator('.monaco-list-row', { hasText: label }).first();
  await row.waitFor({ timeout });
  await page.keyboard.press('Enter');
}

/** Wait until the quick input shows `prompt` (in its message, title, placeholder or label), with rows if asked. */
function waitForQuickInput(page, prompt, withRows, timeout) {
  return page.waitForFunction(([p, rows]) => {
    const w = document.querySelector('.quick-input-widget');
    if (!w || w.style.display === 'none') return false;
    const input = w.querySelector('.quick-input-box input');
    const seen = [w.querySelector('.quick-input-message')?.textContent, w.querySelector('.quick-input-title')?.textContent, input?.getAttribute('placeholder'), input?.getAttribute('aria-label')].join(' ');
    return seen.includes(p) && (!rows || w.querySelectorAll('.monaco-list-row').length > 0);
  }, [prompt, withRows], { timeout });
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
