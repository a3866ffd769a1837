/** The graph canvas: nodes by service name, their status, clicking them. */
import type { Page } from 'playwright-core';

export class GraphPage {
  constructor(readonly page: Page) {}

  canvas() {
    return this.page.getByTestId('graph');
  }

  nodes() {
    return this.page.locator('.react-flow__node-service');
  }

  node(name: string) {
    return this.page.getByTestId(`node-${name}`);
  }

  async status(name: string): Promise<string | null> {
    return this.node(name).getAttribute('data-status');
  }

  async waitForStatus(
    name: string,
    statuses: readonly string[],
    timeoutMs: number,
  ): Promise<string> {
    const handle = await this.page.waitForFunction(
      ({ id, wanted }) => {
        const s = document.querySelector(`[data-testid="node-${id}"]`)?.getAttribute('data-status');
        return s && wanted.includes(s) ? s : null;
      },
      { id: name, wanted: [...statuses] },
      { timeout: timeoutMs, polling: 100 },
    );
    return (await handle.jsonValue()) as string;
  }

  async open(name: string): Promise<void> {
    await this.node(name).click();
    await this.page.getByTestId('service-panel').waitFor();
  }

  edgeLabels() {
    return this.page.locator('.react-flow__edge-text');
  }
}
