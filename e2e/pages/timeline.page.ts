/** The healing timeline: its entries and filters. */
import type { Page } from 'playwright-core';

export class TimelinePage {
  constructor(readonly page: Page) {}

  items() {
    return this.page.locator('.vg-timeline-item');
  }

  async filterService(name: string): Promise<void> {
    await this.page.getByTestId('timeline').getByLabel('Service').selectOption(name);
  }

  async filterKind(kind: string): Promise<void> {
    await this.page.getByTestId('timeline').getByLabel('Kind').selectOption(kind);
  }
}
