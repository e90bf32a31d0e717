/**
 * Hands a signed usage record in, trying again while the control plane is briefly out of reach
 * (a restart, a dropped connection): a record that never arrives leaves its operator unpaid. The
 * same signed record is sent each time, so one that did arrive before its answer was lost counts
 * once (the ledger answers `duplicate`); a record the control plane refused is not sent again.
 */
import type { SignedPlayerUsage, UsageAccepted } from '../../../protocol/metering.js';
import { ApiError } from './api-client.js';
import { abortableSleep } from './placement-flow.js';

export interface UsageDeliveryOptions {
  /** Tries in all. Default 5. */
  attempts?: number;
  /** The wait before the second try; each later wait doubles it. Default 500 ms. */
  firstDelayMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

/** The accepted answer, or null once the record was refused or every try failed. */
export async function deliverUsage(
  send: (record: SignedPlayerUsage) => Promise<UsageAccepted>,
  record: SignedPlayerUsage,
  { attempts = 5, firstDelayMs = 500, sleep = abortableSleep }: UsageDeliveryOptions = {},
): Promise<UsageAccepted | null> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await send(record);
    } catch (error) {
      if (attempt >= attempts || !transient(error)) return null;
      await sleep(firstDelayMs * 2 ** (attempt - 1));
    }
  }
}

/** Out of reach, overloaded or failing inside: worth another try. A refusal (4xx) will not change. */
function transient(error: unknown): boolean {
  if (!(error instanceof ApiError)) return true;
  return error.status === 0 || error.status === 429 || error.status >= 500;
}
