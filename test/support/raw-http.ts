/**
 * A request whose body does not end until the server answers: shows that a server refuses an
 * oversized body without waiting for (or reading) all of it. node:http, because fetch sends a
 * request's whole body before it reads the answer.
 */
import { request } from "node:http";

export type EarlyAnswer = { status: number; headers: Record<string, string | string[] | undefined>; text: string };

/**
 * POSTs to `url`, writing `chunkBytes` at a time (chunked, unless `headers` declare a
 * Content-Length) until the answer arrives or `maxBytes` are sent; never ends the body. Rejects
 * when no answer comes within `timeoutMs`.
 */
export function postUntilAnswered(
  url: string,
  options: { headers?: Record<string, string>; chunkBytes?: number; maxBytes?: number; timeoutMs?: number } = {},
): Promise<EarlyAnswer> {
  const chunk = Buffer.alloc(options.chunkBytes ?? 8 * 1024, "a");
  const maxBytes = options.maxBytes ?? 16 * 1024 * 1024;
  const timeoutMs = options.timeoutMs ?? 10_000;
  return new Promise((resolve, reject) => {
    let sentBytes = 0;
    let answered = false;
    const req = request(url, { method: "POST", headers: options.headers });
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error(`${url}: no answer within ${timeoutMs} ms, ${sentBytes} body bytes sent`));
    }, timeoutMs);
    // Writes after the server closed the connection fail: the answer is what counts.
    req.on("error", (error) => {
      if (answered) return;
      clearTimeout(timer);
      reject(error);
    });
    req.on("response", (res) => {
      answered = true;
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (data: string) => (text += data));
      res.on("end", () => {
        clearTimeout(timer);
        req.destroy();
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text });
      });
    });
    const pump = () => {
      while (!answered && sentBytes < maxBytes) {
        sentBytes += chunk.byteLength;
        if (!req.write(chunk)) return void req.once("drain", pump);
      }
    };
    req.flushHeaders();
    pump();
  });
}
