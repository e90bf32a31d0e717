// Smoke test for the worker binary in MEDIASOUP_WORKER_BIN (see build-worker.sh).
// Usage: MEDIASOUP_WORKER_BIN=/path/to/mediasoup-worker node infra/mediasoup/verify-worker.mjs
import { createWorker } from 'mediasoup';

const H264_PARAMETERS = {
  'packetization-mode': 1,
  'profile-level-id': '42e01f',
  'level-asymmetry-allowed': 1,
};
const TIMEOUT_MS = 5000;

// An RTP packet carrying an H264 SPS NAL unit: the worker treats it as a key
// frame, so consumers forward it right away instead of waiting for one.
function rtpPacket(seq, ssrc) {
  const packet = Buffer.alloc(12 + 8);
  packet[0] = 0x80;
  packet[1] = 102;
  packet.writeUInt16BE(seq, 2);
  packet.writeUInt32BE(seq * 3000, 4);
  packet.writeUInt32BE(ssrc, 8);
  Buffer.from([0x67, 0x42, 0xe0, 0x1f, 0xde, 0xad, 0xbe, 0xef]).copy(packet, 12);
  return packet;
}

function withTimeout(promise, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), TIMEOUT_MS);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function main() {
  if (!process.env.MEDIASOUP_WORKER_BIN) {
    throw new Error('MEDIASOUP_WORKER_BIN is not set');
  }

  const worker = await createWorker({ logLevel: 'warn' });
  try {
    const router = await worker.createRouter({
      mediaCodecs: [
        { kind: 'video', mimeType: 'video/H264', clockRate: 90000, parameters: H264_PARAMETERS },
      ],
    });
    const listenInfo = { protocol: 'udp', ip: '127.0.0.1' };

    const webRtcTransport = await router.createWebRtcTransport({
      listenInfos: [listenInfo],
      enableSctp: true,
    });
    const directTransport = await router.createDirectTransport();

    const ssrc = 1111;
    const producer = await directTransport.produce({
      kind: 'video',
      rtpParameters: {
        codecs: [
          { mimeType: 'video/H264', payloadType: 102, clockRate: 90000, parameters: H264_PARAMETERS },
        ],
        encodings: [{ ssrc }],
      },
    });
    const consumer = await webRtcTransport.consume({
      producerId: producer.id,
      rtpCapabilities: router.rtpCapabilities,
    });
    if (consumer.kind !== 'video' || consumer.rtpParameters.codecs[0].mimeType !== 'video/H264') {
      throw new Error('unexpected consumer parameters');
    }

    const dataProducer = await webRtcTransport.produceData({
      sctpStreamParameters: { streamId: 0, ordered: true },
      label: 'verify',
    });
    const dataConsumer = await webRtcTransport.consumeData({ dataProducerId: dataProducer.id });
    if (dataConsumer.dataProducerId !== dataProducer.id) {
      throw new Error('data consumer is not bound to the data producer');
    }

    // The patch rewrites the SRTP calls for libsrtp2, and WebRTC traffic needs a
    // DTLS peer, so push RTP through two SRTP-enabled PlainTransports wired to
    // each other over loopback and check it comes out decrypted intact.
    const plainOptions = {
      listenInfo,
      rtcpMux: true,
      comedia: false,
      enableSrtp: true,
      srtpCryptoSuite: 'AEAD_AES_128_GCM',
    };
    const srtpSender = await router.createPlainTransport(plainOptions);
    const srtpReceiver = await router.createPlainTransport(plainOptions);
    await srtpSender.connect({
      ip: srtpReceiver.tuple.localAddress,
      port: srtpReceiver.tuple.localPort,
      srtpParameters: srtpReceiver.srtpParameters,
    });
    await srtpReceiver.connect({
      ip: srtpSender.tuple.localAddress,
      port: srtpSender.tuple.localPort,
      srtpParameters: srtpSender.srtpParameters,
    });
    const srtpConsumer = await srtpSender.consume({
      producerId: producer.id,
      rtpCapabilities: router.rtpCapabilities,
    });
    const srtpProducer = await srtpReceiver.produce({
      kind: 'video',
      rtpParameters: srtpConsumer.rtpParameters,
    });
    const sink = await directTransport.consume({
      producerId: srtpProducer.id,
      rtpCapabilities: router.rtpCapabilities,
    });
    const received = new Promise((resolve) => sink.once('rtp', resolve));

    let seq = 1;
    const sender = setInterval(() => producer.send(rtpPacket(seq++, ssrc)), 50);
    let packet;
    try {
      packet = await withTimeout(received, 'RTP through the SRTP PlainTransports');
    } finally {
      clearInterval(sender);
    }
    if (!packet.subarray(-8).equals(rtpPacket(0, 0).subarray(-8))) {
      throw new Error('SRTP round trip altered the RTP payload');
    }

    console.log('OK');
  } finally {
    worker.close();
  }
}

main().catch((error) => {
  console.error('verify-worker failed:', error);
  process.exit(1);
});
