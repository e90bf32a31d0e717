/**
 * The node's end of the heartbeat channel (protocol/heartbeat-channel.ts): one WebSocket to the
 * control plane, opened on first use and again after it drops; each heartbeat resolves with its
 * ack or rejects with the control plane's coded refusal.
 */
import WebSocket from 'ws';
import { HEARTBEAT_CHANNEL_PATH, type HeartbeatChannelReply } from '../../protocol/heartbeat-channel.js';
import type { HeartbeatAck, MacHeartbeat } from '../../protocol/http.js';
import { ControlPlaneError } from './control-plane-error.js';

const REPLY_TIMEOUT_MS = 5_000;

export class HeartbeatChannelClient {
  readonly #url: string;
  #socket: Promise<WebSocket> | undefined;
  /** Replies come in the order the heartbeats went out. */
  readonly #waiting: { resolve: (ack: HeartbeatAck) => void; reject: (error: Error) => void }[] = [];

  constructor(controlPlaneUrl: string) {
    const url = new URL(HEARTBEAT_CHANNEL_PATH, controlPlaneUrl);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    this.#url = url.href;
  }

  async send(heartbeat: MacHeartbeat): Promise<HeartbeatAck> {
    const socket = await this.#open();
    const replied = new Promise<HeartbeatAck>((resolve, reject) => this.#waiting.push({ resolve, reject }));
    socket.send(JSON.stringify(heartbeat));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        // A lost reply would shift every later one onto the wrong heartbeat: start afresh.
        socket.terminate();
        reject(new Error('the heartbeat channel did not answer in time'));
      }, REPLY_TIMEOUT_MS);
    });
    try {
      return await Promise.race([replied, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  close(): void {
    void this.#socket?.then((socket) => socket.close(), () => {});
    this.#socket = undefined;
  }

  #open(): Promise<WebSocket> {
    this.#socket ??= new Promise<WebSocket>((resolve, reject) => {
      const socket = new WebSocket(this.#url, { handshakeTimeout: REPLY_TIMEOUT_MS });
      socket.once('open', () => resolve(socket));
      socket.once('error', reject);
      socket.on('message', (data) => this.#onReply(data.toString()));
      socket.once('close', () => {
        this.#socket = undefined;
        for (const waiting of this.#waiting.splice(0)) waiting.reject(new Error('the heartbeat channel closed'));
        reject(new Error('the heartbeat channel closed'));
      });
    });
    return this.#socket;
  }

  #onReply(text: string): void {
    const waiting = this.#waiting.shift();
    if (waiting === undefined) return;
    const reply = JSON.parse(text) as HeartbeatChannelReply;
    if (reply.ok) waiting.resolve(reply.ack);
    else waiting.reject(new ControlPlaneError(reply.error.status, reply.error.code, reply.error.message));
  }
}
