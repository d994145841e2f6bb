/**
 * Request bodies for tests of the body limit: a web stream that hands out whatever `nextChunk`
 * gives (null ends it) and counts the bytes it handed out, so a test can show the server stopped
 * reading at the limit.
 */
export function countedBody(nextChunk: (pulled: number) => Uint8Array | null) {
  const body = {
    pulled: 0,
    stream: new ReadableStream<Uint8Array>({
      pull(controller) {
        const chunk = nextChunk(body.pulled);
        if (!chunk) return controller.close();
        body.pulled += chunk.byteLength;
        controller.enqueue(chunk);
      },
    }),
  };
  return body;
}
