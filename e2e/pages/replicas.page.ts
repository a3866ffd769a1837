/** A replicated service in the UI: its node's strip and count, and the panel's instances part. */
import type { Page } from 'playwright-core';

export class ReplicasPage {
  constructor(readonly page: Page) {}

  stripCells(service: string) {
    return this.page.getByTestId(`strip-${service}`).locator('.vg-strip-cell');
  }

  count(service: string) {
    return this.page.getByTestId(`instances-${service}`);
  }

  section() {
    return this.page.getByTestId('replicas');
  }

  rows() {
    return this.section().locator('[data-testid="instances"] tbody tr');
  }

  row(id: string) {
    return this.section().locator(`tr[data-instance="${id}"]`);
  }

  button(testId: string) {
    return this.section().getByTestId(testId);
  }

  async click(testId: string): Promise<void> {
    const sel = `[data-testid="replicas"] [data-testid="${testId}"]`;
    await this.page.waitForFunction(
      (s) => {
        const b = document.querySelector(s) as HTMLButtonElement | null;
        return b !== null && !b.disabled;
      },
      sel,
      { timeout: 10_000 },
    );
    await this.page.locator(sel).click();
  }

  async scaleTo(n: number): Promise<void> {
    const input = this.button('scale-input');
    await input.fill(String(n));
    await input.press('Enter');
  }

  logFilter() {
    return this.page.getByTestId('log-instance-filter');
  }

  logPrefixes() {
    return this.page.locator('.vg-log-row .vg-log-instance');
  }
}
