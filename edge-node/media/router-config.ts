/**
 * The media every session's router speaks: H.264 constrained baseline, the one profile Chromium here
 * always offers, and Opus.
 */
import type { types } from 'mediasoup';

export const H264_PAYLOAD_TYPE = 102;
export const OPUS_PAYLOAD_TYPE = 111;
export const OPUS_CLOCK_RATE = 48_000;
export const PLAYOUT_DELAY_URI = 'http://www.webrtc.org/experiments/rtp-hdrext/playout-delay';
/** The id our packetizer writes; mediasoup maps it to whatever each consumer negotiated. */
export const PLAYOUT_DELAY_EXTENSION_ID = 14;

const h264Parameters = {
  'packetization-mode': 1,
  'profile-level-id': '42e01f',
  'level-asymmetry-allowed': 1,
};

/** Games are stereo; 10 ms packets keep audio as prompt as the video. */
const opusParameters = { stereo: 1, 'sprop-stereo': 1, minptime: 10, useinbandfec: 1 };

/**
 * The congestion controller's estimate before it has measured anything (mediasoup's
 * initialAvailableOutgoingBitrate): enough for the encoder's start. The bitrate controller takes
 * its first measure under this as a drop, like any other.
 */
export const INITIAL_AVAILABLE_BITRATE = 6_000_000;

export const routerMediaCodecs: types.RouterRtpCodecCapability[] = [
  { kind: 'video', mimeType: 'video/H264', clockRate: 90000, parameters: h264Parameters },
  { kind: 'audio', mimeType: 'audio/opus', clockRate: OPUS_CLOCK_RATE, channels: 2, parameters: opusParameters },
];

export function videoProducerParameters(ssrc: number, withPlayoutDelay: boolean): types.RtpParameters {
  return {
    codecs: [
      {
        mimeType: 'video/H264',
        payloadType: H264_PAYLOAD_TYPE,
        clockRate: 90000,
        parameters: h264Parameters,
        rtcpFeedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }, { type: 'ccm', parameter: 'fir' }],
      },
    ],
    encodings: [{ ssrc }],
    headerExtensions: withPlayoutDelay ? [{ uri: PLAYOUT_DELAY_URI, id: PLAYOUT_DELAY_EXTENSION_ID }] : [],
  };
}

export function audioProducerParameters(ssrc: number): types.RtpParameters {
  return {
    codecs: [{ mimeType: 'audio/opus', payloadType: OPUS_PAYLOAD_TYPE, clockRate: OPUS_CLOCK_RATE, channels: 2, parameters: opusParameters }],
    encodings: [{ ssrc }],
  };
}
