/**
 * Notices whether an SSE body carried `data: [DONE]`. The openai client ends its iteration the same way whether the
 * body ended after [DONE] or was cut short, and only the first means the answer is complete.
 */

const DONE = Buffer.from("data: [DONE]");

export interface DoneState {
  sawDone: boolean;
}

export function watchForDone(body: ReadableStream<Uint8Array>, state: DoneState): ReadableStream<Uint8Array> {
  // The last bytes of the previous chunk, in case the marker is split between two chunks.
  let tail = Buffer.alloc(0);
  return body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        if (!state.sawDone) {
          const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
          const edge = Buffer.concat([tail, bytes.subarray(0, DONE.length - 1)]);
          if (bytes.includes(DONE) || edge.includes(DONE)) state.sawDone = true;
          else {
            const keep = DONE.length - 1;
            tail =
              bytes.length >= keep ? Buffer.from(bytes.subarray(-keep)) : Buffer.concat([tail, bytes]).subarray(-keep);
          }
        }
        controller.enqueue(chunk);
      },
    }),
  );
}
