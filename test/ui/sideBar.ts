// Side-bar helpers shared by the view UI tests (ESXi Hosts, Docker Hosts).
import * as assert from 'node:assert/strict';
import { Locator } from 'playwright-core';
import { Workbench } from './harness';

/** A row of a view's tree by its label. */
export function treeRow(wb: Workbench, view: string, label: string): Locator {
  return wb
    .viewPane(view)
    .locator('.monaco-list-row', { has: wb.page.locator('.label-name', { hasText: label }) })
    .first();
}

/**
 * Expands the row `label` until its child `child` shows. Polls: a refresh (docker events, a reload)
 * may redraw the row meanwhile, or draw it collapsed again.
 */
export async function expandRow(wb: Workbench, view: string, label: string, child: string, timeout: number): Promise<void> {
  const deadline = Date.now() + timeout;
  const parent = treeRow(wb, view, label);
  const target = treeRow(wb, view, child);
  while (!(await target.isVisible())) {
    if (Date.now() > deadline) assert.fail(`"${child}" did not show under "${label}" in ${view} within ${timeout / 1000} s`);
    if ((await parent.isVisible()) && (await parent.getAttribute('aria-expanded', { timeout: 2000 }).catch(() => undefined)) === 'false') {
      await parent
        .locator('.monaco-tl-twistie')
        .click({ timeout: 2000 })
        .catch(() => undefined);
    }
    await target.waitFor({ state: 'visible', timeout: 2000 }).catch(() => undefined);
  }
}

/** Collapses the container's other views, so that `view` gets the height. */
export async function focusView(wb: Workbench, view: string, others: string[]): Promise<void> {
  for (const other of others) {
    const header = wb.viewPane(other).locator('.pane-header').first();
    if ((await header.getAttribute('aria-expanded')) === 'true') await header.click();
  }
  await wb.expandView(view);
}

/** Drags the side bar's edge to `width` px, so that descriptions show in full; waits until it took. */
export async function widenSideBar(wb: Workbench, width: number, timeout: number): Promise<void> {
  const box = await wb.page.locator('.part.sidebar').boundingBox();
  assert.ok(box, 'the side bar is not shown');
  if (box.width >= width) return;
  await wb.page.mouse.move(box.x + box.width + 1, box.y + 300);
  await wb.page.mouse.down();
  await wb.page.mouse.move(box.x + width, box.y + 300, { steps: 5 });
  await wb.page.mouse.up();
  await wb.page.waitForFunction(`document.querySelector('.part.sidebar').clientWidth >= ${width - 20}`, undefined, {
    timeout,
    polling: 200,
  });
}
