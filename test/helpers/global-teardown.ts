export default async function globalTeardown(): Promise<void> {
  await globalThis.__SOCIALSYNC_TEARDOWN__?.();
}
