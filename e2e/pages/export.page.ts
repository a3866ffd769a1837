/** The report export dialog. */
import type { Download, Page } from 'playwright-core';

export class ExportPage {
  constructor(readonly page: Page) {}

  dialog() {
    return this.page.getByRole('dialog', { name: 'Export healing report' });
  }

  async open(): Promise<void> {
    await this.page.getByRole('button', { name: 'Export report' }).click();
    await this.dialog().waitFor();
  }

  async export(format: 'Markdown' | 'HTML' | 'JSON' | 'CSV', range: string): Promise<Download> {
    await this.dialog().getByText(format, { exact: true }).click();
    await this.dialog().getByLabel('Range').selectOption({ label: range });
    const [download] = await Promise.all([
      this.page.waitForEvent('download', { timeout: 20_000 }),
      this.dialog().getByRole('button', { name: 'Export', exact: true }).click(),
    ]);
    return download;
  }

  status() {
    return this.page.getByTestId('export-status');
  }

  async close(): Promise<void> {
    await this.dialog().getByRole('button', { name: 'Close' }).click();
    await this.dialog().waitFor({ state: 'detached' });
  }
}
