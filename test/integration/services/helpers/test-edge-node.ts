/**
 * An edge node as the control plane sees one: a real Ed25519 key that signs its registration,
 * heartbeats and session reports over HTTP. It runs no games.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import type {
  NodeRegistered,
  NodeRegistration,
  RegistrationPayload,
  SessionEndPayload,
  SessionEndReason,
  SignedHeartbeat,
  SignedRegistration,
  SignedSessionEnd,
  SignedSessionStart,
} from '../../../../protocol/http.js';
import { heartbeatMac } from '../../../../protocol/heartbeat-mac.js';
import { rawPublicKey, signPayload } from '../../../../protocol/signing.js';
import { api, type ApiResponse } from './http.js';

export class TestEdgeNode {
  readonly privateKey: KeyObject;
  readonly publicKey: string;
  readonly registration: NodeRegistration;
  nodeId = '';
  /** The heartbeat MAC key the last registration returned. */
  heartbeatKey = '';
  #seq = 0;

  constructor(
    private readonly baseUrl: string,
    private readonly operatorToken: string,
    overrides: Partial<NodeRegistration> = {},
  ) {
    const keys = generateKeyPairSync('ed25519');
    this.privateKey = keys.privateKey;
    this.publicKey = rawPublicKey(keys.publicKey);
    this.registration = {
      publicKey: this.publicKey,
      name: 'test-rig',
      location: { lat: 52.52, lng: 13.4 },
      gpu: { model: 'RTX 4070', vramMb: 12_288 },
      encoders: ['h264'],
      slots: 2,
      pricePerHour: 0.4,
      signallingUrl: 'http://127.0.0.1:7000/',
      builds: [],
      ...overrides,
    };
  }

  /** The registration, signed with this node's key; `overrides` change the payload before signing. */
  signedRegistration(overrides: Partial<RegistrationPayload> = {}): SignedRegistration {
    const payload: RegistrationPayload = { ...this.registration, sentAt: Date.now(), ...overrides };
    return { payload, signature: signPayload(payload, this.privateKey) };
  }

  async register(body: unknown = this.signedRegistration()): Promise<ApiResponse<NodeRegistered>> {
    const response = await api<NodeRegistered>(this.baseUrl, '/v1/nodes/register', { body, token: this.operatorToken });
    if (response.status === 200) {
      this.nodeId = response.body.nodeId;
      this.heartbeatKey = response.body.heartbeatKey;
    }
    return response;
  }

  /** The next heartbeat, correctly signed; `overrides` change the payload before signing. */
  heartbeat(overrides: Partial<SignedHeartbeat['payload']> = {}): SignedHeartbeat {
    const payload = { nodeId: this.nodeId, seq: ++this.#seq, sentAt: Date.now(), activeSessions: [], ...overrides };
    return { payload, signature: signPayload(payload, this.privateKey) };
  }

  /** The next heartbeat, MAC'd with `key` (this node's heartbeat key unless given); `overrides` change the payload first. */
  macHeartbeat(overrides: Partial<SignedHeartbeat['payload']> = {}, key = this.heartbeatKey): { payload: SignedHeartbeat['payload']; mac: string } {
    const payload = { nodeId: this.nodeId, seq: ++this.#seq, sentAt: Date.now(), activeSessions: [], ...overrides };
    return { payload, mac: heartbeatMac(payload, Buffer.from(key, 'base64url')) };
  }

  async sendHeartbeat(body: unknown = this.heartbeat()): Promise<ApiResponse> {
    return api(this.baseUrl, `/v1/nodes/${this.nodeId}/heartbeat`, { body });
  }

  async reportStart(sessionId: string): Promise<ApiResponse> {
    const payload = { nodeId: this.nodeId, sessionId, startedAt: Date.now() };
    const body: SignedSessionStart = { payload, signature: signPayload(payload, this.privateKey) };
    return api(this.baseUrl, `/v1/nodes/${this.nodeId}/sessions/${sessionId}/start`, { body });
  }

  endReport(sessionId: string, reason: SessionEndReason = 'player_left'): SignedSessionEnd {
    const endedAt = Date.now();
    const payload: SessionEndPayload = {
      nodeId: this.nodeId,
      sessionId,
      reason,
      startedAt: endedAt - 60_000,
      endedAt,
      framesSent: 3600,
      bytesSent: 9_000_000,
      width: 1280,
      height: 720,
    };
    return { payload, signature: signPayload(payload, this.privateKey) };
  }

  async reportEnd(sessionId: string, body: unknown = this.endReport(sessionId)): Promise<ApiResponse> {
    return api(this.baseUrl, `/v1/nodes/${this.nodeId}/sessions/${sessionId}/end`, { body });
  }
}
