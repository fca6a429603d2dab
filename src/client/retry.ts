/**
 * client-go's retry.RetryOnConflict: runs a read-modify-write again when the
 * write lost a race (409 Conflict), with its DefaultRetry of 5 attempts about
 * 10 ms apart. Any other error, or a conflict on the last attempt, is thrown.
 */
import { isConflict } from "../api/errors.js";

export async function retryOnConflict<T>(attempt: () => Promise<T>, steps = 5, delayMs = 10): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await attempt();
    } catch (err) {
      if (!isConflict(err) || i >= steps) throw err;
      await new Promise((r) => setTimeout(r, delayMs * (1 + Math.random() * 0.1)));
    }
  }
}
