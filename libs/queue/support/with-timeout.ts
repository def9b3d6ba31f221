/** Rejects when `promise` has not settled after `ms` (the promise itself keeps running). */
export async function withTimeout<T>(promise: Promise<T>, ms: number, what = 'opération'): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} : pas de réponse en ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
