/** The service panel: its title, facts, action buttons, error, and logs. */
import type { Page } from 'playwright-core';

export type PanelAction = 'start' | 'stop' | 'restart' | 'force_restart' | 'quarantine' | 'release';

export class PanelPage {
  constructor(readonly page: Page) {}

  root() {
    return this.page.getByTestId('service-panel');
  }

  title() {
    return this.root().locator('h2');
  }

  action(a: PanelAction) {
    return this.root().locator(`[data-action="${a}"]`);
  }

  async run(a: PanelAction): Promise<void> {
    const button = this.action(a);
    await button.waitFor();
    await this.page.waitForFunction(
      (sel) => {
        const b = document.querySelector(sel) as HTMLButtonElement | null;
        return b !== null && !b.disabled;
      },
      `[data-testid="service-panel"] [data-action="${a}"]`,
      { timeout: 20_000 },
    );
    await button.click();
  }

  restarts() {
    return this.root().getByTestId('fact-restarts').locator('dd');
  }

  quarantineReason() {
    return this.root().getByTestId('quarantine-reason').locator('dd');
  }

  error() {
    return this.root().getByRole('alert');
  }

  async showLogs(): Promise<void> {
    await this.root().getByRole('tab', { name: 'Logs' }).click();
    await this.page.getByTestId('log-view').waitFor();
  }

  async showOverview(): Promise<void> {
    await this.root().getByRole('tab', { name: 'Overview' }).click();
  }

  logRows() {
    return this.page.locator('.vg-log-row');
  }

  logSearch() {
    return this.page.getByRole('searchbox', { name: 'Search logs' });
  }

  async close(): Promise<void> {
    await this.root().getByRole('button', { name: 'Close panel' }).click();
    await this.root().waitFor({ state: 'detached' });
  }
}
