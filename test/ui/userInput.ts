// What a user does with the workbench's input widgets, as helpers shared by the UI tests that walk
// whole flows (workflow.test.ts, walkthrough.test.ts): the command palette, input boxes, quick
// picks, modal dialogs and code-server's simple file dialog.
import { Locator } from 'playwright-core';
import { Workbench } from './harness';

/** Generous: a loaded 2-core machine runs code-server, chromium, the lab and maybe other suites. */
export const T = 90_000;

/** `s` as a literal inside a RegExp. */
export function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A page expression: the quick input is shown on a step whose title, prompt or placeholder matches. */
function showsStep(match: RegExp): string {
  // a string: the tests compile without the DOM library
  return `(() => {
    const w = document.querySelector('.quick-input-widget');
    if (!w || getComputedStyle(w).display === 'none') return false;
    const input = w.querySelector('.quick-input-box input');
    return new RegExp(${JSON.stringify(match.source)}, ${JSON.stringify(match.flags)}).test(w.innerText + ' ' + (input?.placeholder ?? '') + ' ' + (input?.getAttribute('aria-label') ?? ''));
  })()`;
}

/** Until the quick input shows a step whose title, prompt or placeholder matches. */
export async function quickInput(wb: Workbench, match: RegExp, timeout = T): Promise<Locator> {
  await wb.page.waitForFunction(showsStep(match), undefined, { timeout, polling: 100 });
  return wb.page.locator('.quick-input-widget');
}

/**
 * Types into the input box of the step `match` and accepts. Enter goes to the input itself (focused
 * first): a page-level key press went nowhere when the walkthrough page took the focus as it ticked a
 * step (seen in CI: the SSH user step stayed with "root" typed). Under load the quick input can also
 * miss an Enter that comes right after its value changed; when the step still shows the typed text
 * after 5 s, Enter is pressed once more.
 */
export async function type(wb: Workbench, match: RegExp, text: string): Promise<void> {
  const w = await quickInput(wb, match);
  const input = w.locator('.quick-input-box input');
  await input.fill(text);
  await input.press('Enter');
  const moved = await wb.page.waitForFunction(`!${showsStep(match)}`, undefined, { timeout: 5_000, polling: 100 }).then(
    () => true,
    () => false,
  );
  if (!moved && (await input.inputValue()) === text) await input.press('Enter');
}

/**
 * The simple file dialog of code-server: type the path, wait until its folder is listed (the dialog
 * ignores Enter while it loads), then press its OK button. Under load the dialog may show its start
 * folder over the typed path once it has read it, and the OK then only opens that folder: type again.
 */
export async function chooseFile(wb: Workbench, match: RegExp, path: string, okLabel: string): Promise<void> {
  const file = path.slice(path.lastIndexOf('/') + 1);
  for (let attempt = 1; ; attempt++) {
    const w = await quickInput(wb, match);
    await w.locator('.quick-input-box input').fill(path);
    await w.locator('.quick-input-list .monaco-list-row', { hasText: file }).first().waitFor({ state: 'visible', timeout: T });
    await w.locator('.monaco-button', { hasText: okLabel }).first().click();
    const closed = await wb.page.waitForFunction(`!${showsStep(match)}`, undefined, { timeout: 10_000, polling: 100 }).then(
      () => true,
      () => false,
    );
    if (closed) return;
    if (attempt >= 3) throw new Error(`the file dialog did not take ${path}`);
  }
}

/** Picks the row labelled exactly `label` in the quick pick of the step `match` (filtering first). */
export async function pick(wb: Workbench, match: RegExp, label: string, filter = label, clickTimeout?: number): Promise<void> {
  const w = await quickInput(wb, match);
  await w.locator('.quick-input-box input').fill(filter);
  const row = w
    .locator('.quick-input-list .monaco-list-row', {
      has: wb.page.locator('.label-name', { hasText: new RegExp(`^\\s*${escapeRegExp(label)}\\s*$`) }),
    })
    .first();
  await row.waitFor({ state: 'visible', timeout: T });
  await row.click({ timeout: clickTimeout });
}

/**
 * Answers the trust prompt of the step `match` (a pick whose first, preselected item is "Don't trust")
 * by clicking `label`; returns what the prompt showed (title, placeholder, items).
 */
export async function trust(wb: Workbench, match: RegExp, label = 'Trust and Pin'): Promise<string> {
  const w = await quickInput(wb, match);
  const placeholder = (await w.locator('.quick-input-box input').getAttribute('placeholder')) ?? '';
  const text = `${await w.innerText()}\n${placeholder}`;
  await pick(wb, match, label);
  return text;
}

/** Answers the modal dialog whose message matches with the button `button`; returns the dialog's text. */
export async function modal(wb: Workbench, match: RegExp, button: string): Promise<string> {
  const box = wb.page.locator('.monaco-dialog-box', { hasText: match });
  await box.waitFor({ state: 'visible', timeout: T });
  const text = await box.innerText();
  await box.locator('.dialog-buttons .monaco-button', { hasText: new RegExp(`^\\s*${escapeRegExp(button)}\\s*$`) }).click();
  await box.waitFor({ state: 'hidden', timeout: T });
  return text;
}

/** Runs a command from the palette by its exact title (category included, e.g. "vDVS: Create Volume…"). */
export async function palette(wb: Workbench, title: string): Promise<void> {
  // A tree refresh or a notification may close the palette between typing and the click (seen in CI:
  // the row stays in the DOM, hidden): open it again, at most three times.
  for (let attempt = 1; ; attempt++) {
    await wb.page.keyboard.press('F1');
    await quickInput(wb, /./);
    try {
      await pick(wb, /./, title, `>${title}`, 10_000);
      return;
    } catch (err) {
      if (attempt >= 3) throw err;
      await wb.page.keyboard.press('Escape');
    }
  }
}
