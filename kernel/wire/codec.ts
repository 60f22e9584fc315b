import type { ReplayGuard } from './replay';
import type { Signer } from './signer';

/** The delimiter between routing identities and the signed message parts. */
const DELIMITER = Buffer.from('<IDS|MSG>');

/** A message as the codec frames it: routing identities, the JSON parts not yet parsed, buffers. */
export interface WireMessage {
  identities: Buffer[];
  header: string;
  parent: string;
  metadata: string;
  content: string;
  buffers: Buffer[];
}

export type DecodeResult =
  { ok: true; message: WireMessage } | { ok: false; reason: string; identities: Buffer[] };

/**
 * Splits multipart frames; any number of routing identities may precede the
 * delimiter. With `replays`, a signed message whose signature was seen before
 * is refused.
 */
export function decode(frames: Buffer[], signer: Signer, replays?: ReplayGuard): DecodeResult {
  const at = frames.findIndex((f) => f.equals(DELIMITER));
  if (at < 0) {
    return { ok: false, reason: 'no <IDS|MSG> delimiter', identities: [] };
  }
  const identities = frames.slice(0, at);
  if (frames.length < at + 6) {
    return {
      ok: false,
      reason: `expected 5 frames after the delimiter, got ${frames.length - at - 1}`,
      identities
    };
  }
  const [signature, header, parent, metadata, content] = frames.slice(at + 1, at + 6);
  if (!signer.verify(signature, [header, parent, metadata, content])) {
    return { ok: false, reason: 'bad signature', identities };
  }
  if (replays && !replays.admit(signature)) {
    return { ok: false, reason: 'a signature seen before (a replayed message)', identities };
  }
  return {
    ok: true,
    message: {
      identities,
      header: header.toString('utf8'),
      parent: parent.toString('utf8'),
      metadata: metadata.toString('utf8'),
      content: content.toString('utf8'),
      buffers: frames.slice(at + 6)
    }
  };
}

export function encode(message: WireMessage, signer: Signer): Buffer[] {
  const parts = [message.header, message.parent, message.metadata, message.content].map((p) =>
    Buffer.from(p, 'utf8')
  );
  return [
    ...message.identities,
    DELIMITER,
    Buffer.from(signer.sign(parts), 'utf8'),
    ...parts,
    ...message.buffers
  ];
}
