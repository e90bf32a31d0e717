/** The studio API as the studio page uses it: the overview, with the studio's API key. */
import type { StudioOverview } from '../../../protocol/studio.js';
import { ApiClient } from './api-client.js';

export class StudioClient extends ApiClient {
  overview(apiKey: string): Promise<StudioOverview> {
    return this.request<StudioOverview>('GET', '/v1/studio', undefined, apiKey);
  }
}
