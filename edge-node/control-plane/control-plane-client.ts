/**
 * The node's side of the control-plane API: register, heartbeat, and session start/end
 * reports, each signed with the node key. Start reports that fail are retried a few times (the
 * heartbeats' list of running sessions settles the rest); end reports are sent once per call,
 * and kept and retried by the report outbox (report-outbox.ts) until delivered.
 */
import type { Logger } from 'pino';
import type {
  ErrorResponse,
  HeartbeatAck,
  HeartbeatPayload,
  NodeRegistered,
  NodeRegistration,
  RegistrationPayload,
  SessionEndPayload,
  SessionStartPayload,
} from '../../protocol/http.js';
import { heartbeatMac } from '../../protocol/heartbeat-mac.js';
import { signPayload } from '../../protocol/signing.js';
import { ControlPlaneError } from './control-plane-error.js';
import { HeartbeatChannelClient } from './heartbeat-channel-client.js';
import type { NodeIdentity } from '../identity.js';

export { ControlPlaneError };

export class ControlPlaneClient {
  // Starts from the clock so a restarted node is not refused as replaying its earlier heartbeats.
  private heartbeatSeq = Date.now();
  /** The key the last registration gave for heartbeat MACs. */
  private heartbeatKey: Buffer | undefined;
  private readonly heartbeatChannel: HeartbeatChannelClient;

  constructor(
    private readonly baseUrl: string,
    private readonly identity: NodeIdentity,
    private readonly logger: Logger,
  ) {
    this.heartbeatChannel = new HeartbeatChannelClient(baseUrl);
  }

  /** `activeSessions`: what the node runs as it registers, so their slots stay busy. */
  async register(operatorToken: string, registration: NodeRegistration, activeSessions: string[]): Promise<NodeRegistered> {
    const payload: RegistrationPayload = { ...registration, sentAt: Date.now(), activeSessions };
    const registered = await this.post<NodeRegistered>('/v1/nodes/register', this.signed(payload), { authorization: `Bearer ${operatorToken}` });
    this.heartbeatKey = Buffer.from(registered.heartbeatKey, 'base64url');
    return registered;
  }

  /**
   * MAC'd with the key from registration, on the heartbeat channel (a WebSocket), which costs the
   * control plane a fraction of a signed HTTP heartbeat; over HTTP when the channel fails.
   * `builds`: every cached build, only when the control plane has yet to hear them.
   */
  async heartbeat(nodeId: string, activeSessions: string[], builds?: string[]): Promise<HeartbeatAck> {
    const payload: HeartbeatPayload = { nodeId, seq: ++this.heartbeatSeq, sentAt: Date.now(), activeSessions, ...(builds === undefined ? {} : { builds }) };
    if (this.heartbeatKey === undefined) return this.post<HeartbeatAck>(`/v1/nodes/${nodeId}/heartbeat`, this.signed(payload));
    const body = { payload, mac: heartbeatMac(payload, this.heartbeatKey) };
    try {
      return await this.heartbeatChannel.send(body);
    } catch (error) {
      if (error instanceof ControlPlaneError) throw error;
      this.logger.debug({ err: error }, 'heartbeat channel unavailable; heartbeating over HTTP');
      return this.post<HeartbeatAck>(`/v1/nodes/${nodeId}/heartbeat`, body);
    }
  }

  close(): void {
    this.heartbeatChannel.close();
  }

  reportStart(payload: SessionStartPayload): Promise<void> {
    return this.withRetries(`session start ${payload.sessionId}`, () =>
      this.post(`/v1/nodes/${payload.nodeId}/sessions/${payload.sessionId}/start`, this.signed(payload)),
    );
  }

  async sendEnd(payload: SessionEndPayload): Promise<void> {
    await this.post(`/v1/nodes/${payload.nodeId}/sessions/${payload.sessionId}/end`, this.signed(payload));
  }

  private signed<T>(payload: T): { payload: T; signature: string } {
    return { payload, signature: signPayload(payload, this.identity.privateKey) };
  }

  private async withRetries(what: string, call: () => Promise<unknown>, attempts = 5): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await call();
        return;
      } catch (error) {
        // A refusal with a code is final; only transport failures and 5xx are worth repeating.
        const final = error instanceof ControlPlaneError && error.status < 500;
        if (final || attempt >= attempts) {
          this.logger.error({ err: error, attempt }, `reporting ${what} failed`);
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 250 * 2 ** attempt));
      }
    }
  }

  private async post<T = unknown>(path: string, body: unknown, headers: Record<string, string> = {}): Promise<T> {
    const response = await fetch(new URL(path, this.baseUrl), {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(5000),
    });
    const text = await response.text();
    const parsed: unknown = text ? JSON.parse(text) : {};
    if (!response.ok) {
      const error = (parsed as Partial<ErrorResponse>).error;
      throw new ControlPlaneError(response.status, error?.code ?? 'INTERNAL', error?.message ?? `HTTP ${response.status}`);
    }
    return parsed as T;
  }
}
