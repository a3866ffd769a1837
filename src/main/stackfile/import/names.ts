/** Service names from other tools turned into Vigil identifiers (`[a-z0-9][a-z0-9_-]*`). */
import { SERVICE_NAME_MAX, isValidServiceName } from '../../../shared/model.js';

const RESERVED = new Set(['constructor', 'prototype']);

/** `Web Frontend` -> `web-frontend`, `@shop/api` -> `shop-api`; never empty. */
export function normaliseName(raw: string): string {
  let name = raw
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^[-_]+|[-_]+$/g, '');
  if (name.length > SERVICE_NAME_MAX) name = name.slice(0, SERVICE_NAME_MAX).replace(/[-_]+$/, '');
  if (name === '') name = 'service';
  if (RESERVED.has(name)) name = `${name}-service`;
  return name;
}

/** Hands out unique valid names and says when one had to change. */
export class NameRegistry {
  private readonly used = new Set<string>();

  /** Reserves a name; `changed` is a sentence explaining why, when it differs from `raw`. */
  take(raw: string): { name: string; changed?: string } {
    const base = isValidServiceName(raw) && !RESERVED.has(raw) ? raw : normaliseName(raw);
    let name = base;
    for (let i = 2; this.used.has(name); i++) {
      const suffix = `-${i}`;
      name = base.slice(0, SERVICE_NAME_MAX - suffix.length) + suffix;
    }
    this.used.add(name);
    if (name === raw) return { name };
    const why =
      base === raw
        ? `another service is already named "${raw}"`
        : 'service names are lowercase letters, digits, "-" and "_"';
    return { name, changed: `"${raw}" is named "${name}" in Vigil (${why})` };
  }

  has(name: string): boolean {
    return this.used.has(name);
  }
}
