/**
 * The one poison-item ladder of the scheduler's batches. A batch is one transaction over many items
 * (feed changes, reconcile items); one item that cannot be applied — a bug, a corrupt row — would
 * fail the whole batch on every retry and stall the org for ever. So a failing batch is retried
 * with one item; if that fails too, the item is stepped over and the reason recorded (audit log and
 * `last_error`), and the next full reconcile repairs what it meant.
 *
 * A busy store (`StoreBusy`) is never a poison item: it goes up to the caller, which backs off and
 * tries the same batch again later.
 */
import { StoreBusy } from '../store/errors.ts'

export interface PoisonLadder<T> {
  /** The batch as planned. */
  batch(): Promise<T>
  /** The same work for its first item only. */
  one(): Promise<T>
  /** Steps over that first item, recording `reason` (the error of `one`). */
  skip(reason: string): Promise<T>
}

export const errorMessage = (error: unknown): string =>
  error instanceof Error ? error.message : String(error)

/** Runs `ladder.batch()`, narrowing a failure down to one item and skipping it (see the module comment). */
export async function isolatePoison<T>(ladder: PoisonLadder<T>): Promise<T> {
  try {
    return await ladder.batch()
  } catch (error) {
    if (error instanceof StoreBusy) throw error
    try {
      return await ladder.one()
    } catch (again) {
      if (again instanceof StoreBusy) throw again
      return await ladder.skip(errorMessage(again))
    }
  }
}
