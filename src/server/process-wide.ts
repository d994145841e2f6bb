/**
 * One instance per process, however many times the module that makes it is loaded. Next.js
 * bundles route handlers, server components and the instrumentation hook separately, and each
 * bundle evaluates the modules it includes: without this, a process would hold one database pool
 * and one live board per bundle, and a change seen by one would not reach the others.
 */
export function processWide<T>(name: string, create: () => T): T {
  const registry = globalThis as unknown as Record<symbol, T | undefined>;
  const key = Symbol.for(`live-scoreboard.${name}`);
  return (registry[key] ??= create());
}
