/** The stack file notices: the banner of a rejected change, the toasts, the Reload stack button. */
import type { Page } from 'playwright-core';

export class ConfigPage {
  constructor(readonly page: Page) {}

  banner() {
    return this.page.getByTestId('config-banner');
  }

  problems() {
    return this.banner().getByTestId('config-problem');
  }

  async dismiss(): Promise<void> {
    await this.banner().getByRole('button', { name: 'Dismiss' }).click({ timeout: 10_000 });
    await this.banner().waitFor({ state: 'detached' });
  }

  reloadButton() {
    return this.page.getByTestId('reload-stack');
  }

  toasts() {
    return this.page.getByTestId('toast');
  }

  /** The newest toast whose text contains `text`. */
  toast(text: string) {
    return this.toasts().filter({ hasText: text }).last();
  }
}
