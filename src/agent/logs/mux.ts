/**
 * Docker's stream multiplexing (non-TTY attach, exec and logs): each frame is an 8-byte
 * header `[stream, 0, 0, 0, size (uint32 BE)]` followed by `size` bytes. Stream 0 is stdin,
 * 1 stdout, 2 stderr (3 is the "systemerr" stream of newer engines). Pure.
 */
export type StreamId = 0 | 1 | 2 | 3;

const MAX_FRAME = 0xffffffff;

export function frame(stream: StreamId, payload: Buffer): Buffer {
  if (payload.length > MAX_FRAME) throw new Error('frame too large');
  const h = Buffer.alloc(8);
  h[0] = stream;
  h.writeUInt32BE(payload.length, 4);
  return Buffer.concat([h, payload]);
}

export interface Frame {
  stream: StreamId;
  payload: Buffer;
}

/** Reassembles frames from arbitrary chunks (for tests and for clients). */
export class FrameDecoder {
  private buf: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Frame[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const out: Frame[] = [];
    while (this.buf.length >= 8) {
      const size = this.buf.readUInt32BE(4);
      if (this.buf.length < 8 + size) break;
      const stream = this.buf[0];
      if (stream > 3) throw new Error(`invalid stream id ${stream} in frame header`);
      out.push({ stream: stream as StreamId, payload: Buffer.from(this.buf.subarray(8, 8 + size)) });
      this.buf = this.buf.subarray(8 + size);
    }
    return out;
  }

  get pending(): number {
    return this.buf.length;
  }
}

/** Demultiplexes a whole buffer into stdout and stderr text (tests). */
export function demux(data: Buffer): { stdout: string; stderr: string } {
  const frames = new FrameDecoder().push(data);
  const pick = (s: number) => Buffer.concat(frames.filter((f) => f.stream === s).map((f) => f.payload)).toString();
  return { stdout: pick(1), stderr: pick(2) };
}
