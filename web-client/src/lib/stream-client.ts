/**
 * Connects to the edge node the control plane chose: joins with the ticket, receives the video
 * and the sound through mediasoup-client and opens the input data channel. UI-free, so any page can embed it.
 */
import { Device, type types } from 'mediasoup-client';
import { io, type Socket } from 'socket.io-client';
import type { Ack, ClientToNodeEvents, JoinAccepted, NodeToClientEvents, SessionEndedNotice, SessionPreparing } from '../../../protocol/signalling.js';
import { INPUT_CHANNEL_LABEL, type InputEvent } from '../../../protocol/input.js';
import type { SessionCreated } from '../../../protocol/http.js';

const REQUEST_TIMEOUT_MS = 10_000;
/** A join waits while the node fetches and unpacks the game's build the first time (it reports progress meanwhile). */
const JOIN_TIMEOUT_MS = 5 * 60_000;

export class StreamError extends Error {
  override name = 'StreamError';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The code of an ending the node did not announce: the node (or the way to it) failed, not the game. */
export const STREAM_LOST = 'STREAM_LOST';

const LOST: SessionEndedNotice = { reason: 'media_failed', code: STREAM_LOST, message: 'The connection to the game server was lost.' };

type NodeSocket = Socket<NodeToClientEvents, ClientToNodeEvents>;
type EventName = keyof ClientToNodeEvents;

export interface StreamClientEvents {
  ended: (notice: SessionEndedNotice) => void;
}

export class StreamClient {
  readonly device = new Device();
  private socket: NodeSocket | undefined;
  private recvTransport: types.Transport | undefined;
  private sendTransport: types.Transport | undefined;
  private inputChannel: types.DataProducer | undefined;
  private consumer: types.Consumer | undefined;
  private audioConsumer: types.Consumer | undefined;
  private endedListeners: ((notice: SessionEndedNotice) => void)[] = [];
  private preparingListeners: ((progress: SessionPreparing) => void)[] = [];
  joined: JoinAccepted | undefined;

  onEnded(listener: (notice: SessionEndedNotice) => void): void {
    this.endedListeners.push(listener);
  }

  /** Hears the node get the game ready while the join waits (fetching its build the first time). */
  onPreparing(listener: (progress: SessionPreparing) => void): void {
    this.preparingListeners.push(listener);
  }

  /**
   * Joins the session and resolves with the video and audio tracks once they are flowing.
   * `encodedTransforms` gets the receivers before the video's first frame, to attach an encoded
   * transform to each: Chromium hands encoded frames to a transform set that late only on a
   * connection made with encodedInsertableStreams, where every receiver then needs one.
   */
  async start(
    session: SessionCreated,
    encodedTransforms?: (receivers: { video: RTCRtpReceiver; audio: RTCRtpReceiver }) => void,
  ): Promise<{ video: MediaStreamTrack; audio: MediaStreamTrack }> {
    const socket: NodeSocket = io(session.signallingUrl, { transports: ['websocket'], reconnection: false, timeout: 5000 });
    this.socket = socket;
    socket.on('session:ended', (notice) => this.emitEnded(notice));
    socket.on('session:preparing', (progress) => {
      for (const listener of this.preparingListeners) listener(progress);
    });
    socket.on('disconnect', (reason) => {
      if (reason !== 'io client disconnect') this.emitEnded(LOST);
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', () => reject(new StreamError('NODE_UNREACHABLE', 'The game server cannot be reached.')));
    });

    this.joined = await this.request('session:join', { ticket: session.ticket });
    await this.device.load({ routerRtpCapabilities: this.joined.routerRtpCapabilities });

    const insertable = encodedTransforms ? { additionalSettings: { encodedInsertableStreams: true } as Partial<RTCConfiguration> } : {};
    this.recvTransport = this.device.createRecvTransport({ ...(await this.request('transport:create', { direction: 'recv' })), ...insertable });
    this.wireConnect(this.recvTransport);
    // A rig unplugged closes no socket: the media path going quiet is the first sign.
    this.recvTransport.on('connectionstatechange', (state) => {
      if (state === 'failed') this.emitEnded(LOST);
    });
    // A stream id each: tracks of one stream are lip-synced, which would hold every frame back
    // by the audio jitter buffer's delay.
    const rtpCapabilities = this.device.recvRtpCapabilities;
    this.consumer = await this.recvTransport.consume({ ...(await this.request('video:consume', { rtpCapabilities })), streamId: 'edgeplay-video' });
    this.audioConsumer = await this.recvTransport.consume({ ...(await this.request('audio:consume', { rtpCapabilities })), streamId: 'edgeplay-audio' });

    this.sendTransport = this.device.createSendTransport(await this.request('transport:create', { direction: 'send' }));
    this.wireConnect(this.sendTransport);
    this.sendTransport.on('producedata', ({ sctpStreamParameters, label }, callback, errback) => {
      this.request('input:produce', { transportId: this.sendTransport!.id, sctpStreamParameters, label: label ?? INPUT_CHANNEL_LABEL })
        .then(({ id }) => callback({ id }))
        .catch(errback);
    });
    this.inputChannel = await this.sendTransport.produceData({ ordered: true, label: INPUT_CHANNEL_LABEL });

    const [video, audio] = [this.consumer.rtpReceiver, this.audioConsumer.rtpReceiver];
    if (video && audio) encodedTransforms?.({ video, audio });
    await this.request('video:resume', {});
    return { video: this.consumer.track, audio: this.audioConsumer.track };
  }

  /** Sends one input event; dropped silently while the channel is not open (nothing to queue for a late key). */
  send(event: InputEvent): boolean {
    if (this.inputChannel?.readyState !== 'open') return false;
    this.inputChannel.send(JSON.stringify(event));
    return true;
  }

  /** Asks the node to shift the game's frame clock (frame-pacer.ts); advice, so a refusal is dropped. */
  async pace(shiftMs: number): Promise<void> {
    if (this.socket?.connected) await this.request('video:pace', { shiftMs }).catch(() => undefined);
  }

  /**
   * Whether the node still answers on the signalling connection within `timeoutMs`: any answer
   * counts, a refusal too. Asks for a zero pacing shift, which changes nothing.
   */
  answers(timeoutMs: number): Promise<boolean> {
    const socket = this.socket;
    if (!socket?.connected) return Promise.resolve(false);
    return new Promise((resolve) => {
      const timed = socket.timeout(timeoutMs) as unknown as { emit(event: string, payload: unknown, ack: (err: Error | null) => void): void };
      timed.emit('video:pace', { shiftMs: 0 }, (err) => resolve(err === null));
    });
  }

  async stats(): Promise<{ video?: RTCStatsReport; audio?: RTCStatsReport; transport?: RTCStatsReport }> {
    return { video: await this.consumer?.getStats(), audio: await this.audioConsumer?.getStats(), transport: await this.recvTransport?.getStats() };
  }

  async leave(): Promise<void> {
    if (this.socket?.connected) await this.request('session:leave', {}).catch(() => undefined);
    this.close();
  }

  close(): void {
    this.inputChannel?.close();
    this.consumer?.close();
    this.audioConsumer?.close();
    this.sendTransport?.close();
    this.recvTransport?.close();
    this.socket?.disconnect();
  }

  private emitEnded(notice: SessionEndedNotice): void {
    const listeners = this.endedListeners;
    this.endedListeners = [];
    for (const listener of listeners) listener(notice);
  }

  private wireConnect(transport: types.Transport): void {
    transport.on('connect', ({ dtlsParameters }, callback, errback) => {
      this.request('transport:connect', { transportId: transport.id, dtlsParameters })
        .then(() => callback())
        .catch(errback);
    });
  }

  private request<E extends EventName>(
    event: E,
    payload: Parameters<ClientToNodeEvents[E]>[0],
  ): Promise<Parameters<ClientToNodeEvents[E]>[1] extends (r: Ack<infer R>) => void ? R : never> {
    const socket = this.socket;
    if (!socket) return Promise.reject(new StreamError('NOT_CONNECTED', 'Not connected to a game server.'));
    return new Promise((resolve, reject) => {
      // The typed emit cannot express a generic event name; the ack shape is checked by Ack below.
      const timed = socket.timeout(event === 'session:join' ? JOIN_TIMEOUT_MS : REQUEST_TIMEOUT_MS) as unknown as { emit(event: string, payload: unknown, ack: (err: Error | null, response: Ack<never>) => void): void };
      timed.emit(event, payload, (err, response) => {
        if (err) reject(new StreamError('SIGNALLING_TIMEOUT', 'The game server did not answer in time.'));
        else if (response.ok) resolve(response.data);
        else reject(new StreamError(response.error.code, response.error.message));
      });
    });
  }
}
