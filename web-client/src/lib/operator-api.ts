/** The operator page's view of the API, behind the operator's token. */
import type { ErrorResponse } from '../../../protocol/http.js';
import type { OperatorOverview } from '../../../protocol/operator-overview.js';
import { ApiError } from './api-client.js';

export async function fetchOperatorOverview(token: string, baseUrl: string = location.origin): Promise<OperatorOverview> {
  let response: Response;
  try {
    response = await fetch(new URL('/v1/operators/me/overview', baseUrl), { headers: { authorization: `Bearer ${token}` } });
  } catch {
    throw new ApiError('NETWORK', 'The service cannot be reached. Check your connection and try again.', 0);
  }
  const parsed: unknown = await response.json().catch(() => ({}));
  if (!response.ok) {
    const error = (parsed as Partial<ErrorResponse>).error;
    throw new ApiError(error?.code ?? 'INTERNAL', error?.message ?? `The service answered ${response.status}.`, response.status);
  }
  return parsed as OperatorOverview;
}
