import { once } from 'node:events';
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * An HTTP proxy in front of moto that misbehaves like IAM under load: it answers a share of IAM requests with
 * IAM's throttling error ("Rate exceeded") and drops connections, both before forwarding a request and after
 * moto applied it (the case where the SDK retries a write that already happened). Only IAM requests suffer;
 * everything else passes through untouched. A seeded PRNG decides, so a run is reproducible up to the order
 * in which concurrent requests arrive.
 */

/** What the proxy knows of a request when deciding what to do with it. */
export interface ProxiedRequest {
  /** True for IAM (SigV4 credential scope `/iam/aws4_request`). */
  readonly iam: boolean;
  /** The Query API action (`DetachRolePolicy`), or '' when the body names none. */
  readonly action: string;
  /** The form-encoded parameters of the body. */
  readonly params: URLSearchParams;
}

/** An answer the proxy gives instead of forwarding. */
export interface CannedResponse {
  readonly status: number;
  readonly code: string;
  readonly message: string;
  /** `Sender` unless told otherwise. */
  readonly type?: 'Sender' | 'Receiver';
}

export interface FaultOptions {
  /** Share of IAM requests answered with `Throttling` / "Rate exceeded" (HTTP 400). */
  readonly throttleRate: number;
  /** Share of IAM requests whose connection is destroyed before they reach moto. */
  readonly dropBeforeRate: number;
  /** Share of IAM requests whose connection is destroyed after moto answered (and applied) them. */
  readonly dropAfterRate: number;
  /**
   * Checked before the random faults: return an answer to give it instead of forwarding (AccessDenied for
   * `ListRoleTags`, a resource that is always throttled...), `HANG` to never answer (a call that outlives the
   * invocation), `DROP_AFTER_APPLY` to let moto apply it and drop the answer, or undefined.
   */
  readonly intercept?:
    | ((request: ProxiedRequest) => CannedResponse | typeof HANG | typeof DROP_AFTER_APPLY | undefined)
    | undefined;
}

/** What the proxy did, for assertions and reports. */
export interface FaultCounts {
  requests: number;
  iamRequests: number;
  throttled: number;
  droppedBeforeForward: number;
  droppedAfterApply: number;
  intercepted: number;
  /** IAM requests by action, faults included. */
  readonly iamActions: Record<string, number>;
  /** Writes (not Get/List) moto applied but whose answer was dropped, by action. */
  readonly droppedAfterApplyByAction: Record<string, number>;
  /** Every IAM write forwarded to moto (so applied, or refused by moto itself), with its parameters. */
  readonly writes: { readonly action: string; readonly params: Readonly<Record<string, string>> }[];
}

export interface FaultProxy {
  /** `http://127.0.0.1:<port>`, to pass as an SDK client's `endpoint`. */
  readonly endpoint: string;
  readonly counts: FaultCounts;
  /** Change the faults from now on (turn them off for a clean second run, add an intercept...). */
  configure(options: Partial<FaultOptions>): void;
  /** Zero the counters. */
  resetCounts(): void;
  /** Close the listener and every open connection. Safe to call twice. */
  stop(): Promise<void>;
}

/** Returned by `intercept`: keep the request open, unanswered, until the proxy stops. */
export const HANG = Symbol('hang');
/** Returned by `intercept`: forward the request, then destroy the connection instead of answering. */
export const DROP_AFTER_APPLY = Symbol('drop after apply');

export const NO_FAULTS: FaultOptions = Object.freeze({
  throttleRate: 0,
  dropBeforeRate: 0,
  dropAfterRate: 0,
});

/** mulberry32: a tiny, well-distributed 32-bit PRNG; enough for fault injection, not for secrets. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** IAM's Query-protocol error document, as the SDK parses it into an exception named after `Code`. */
export function iamErrorXml(code: string, message: string, requestId: string, type = 'Sender'): string {
  return `<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>${type}</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`;
}

function emptyCounts(): FaultCounts {
  return {
    requests: 0,
    iamRequests: 0,
    throttled: 0,
    droppedBeforeForward: 0,
    droppedAfterApply: 0,
    intercepted: 0,
    iamActions: {},
    droppedAfterApplyByAction: {},
    writes: [],
  };
}

function isIam(request: IncomingMessage): boolean {
  return /\/iam\/aws4_request/.test(request.headers.authorization ?? '');
}

function isRead(action: string): boolean {
  return /^(Get|List)/.test(action);
}

function bump(counter: Record<string, number>, key: string): void {
  counter[key] = (counter[key] ?? 0) + 1;
}

/**
 * Start the proxy on a free loopback port in front of `upstream` (moto's endpoint).
 *
 * @param options the faults; `seed` fixes the PRNG (1 by default).
 */
export async function startFaultProxy(
  upstream: string,
  options: Partial<FaultOptions> & { readonly seed?: number } = {},
): Promise<FaultProxy> {
  const target = new URL(upstream);
  const random = seededRandom(options.seed ?? 1);
  let faults: FaultOptions = { ...NO_FAULTS, ...options };
  let counts = emptyCounts();

  const requestId = () => {
    const hex = () =>
      Math.floor(random() * 0x1_0000_0000)
        .toString(16)
        .padStart(8, '0');
    return `${hex()}-${hex().slice(0, 4)}-4${hex().slice(0, 3)}-8${hex().slice(0, 3)}-${hex()}${hex().slice(0, 4)}`;
  };

  const answer = (response: ServerResponse, canned: CannedResponse) => {
    const id = requestId();
    const body = iamErrorXml(canned.code, canned.message, id, canned.type);
    response.writeHead(canned.status, {
      'content-type': 'text/xml',
      'content-length': Buffer.byteLength(body),
      'x-amzn-requestid': id,
    });
    response.end(body);
  };

  const forward = (
    request: IncomingMessage,
    body: Buffer,
    onAnswer: (status: number, headers: IncomingMessage['headers'], payload: Buffer) => void,
    onError: (error: Error) => void,
  ) => {
    const upstreamRequest = httpRequest(
      {
        hostname: target.hostname,
        port: target.port,
        method: request.method,
        path: request.url,
        headers: { ...request.headers, host: target.host, 'content-length': String(body.length) },
      },
      (upstreamResponse) => {
        const chunks: Buffer[] = [];
        upstreamResponse.on('data', (chunk: Buffer) => chunks.push(chunk));
        upstreamResponse.on('end', () =>
          onAnswer(upstreamResponse.statusCode ?? 502, upstreamResponse.headers, Buffer.concat(chunks)),
        );
        upstreamResponse.on('error', onError);
      },
    );
    upstreamRequest.on('error', onError);
    upstreamRequest.end(body);
  };

  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks);
      counts.requests++;
      const iam = isIam(request);
      const params = new URLSearchParams(iam ? body.toString('utf8') : '');
      const proxied: ProxiedRequest = { iam, action: params.get('Action') ?? '', params };
      let dropAfter = false;
      if (iam) {
        counts.iamRequests++;
        bump(counts.iamActions, proxied.action);
        const canned = faults.intercept?.(proxied);
        if (canned !== undefined) counts.intercepted++;
        if (canned === HANG) return;
        if (canned !== undefined && canned !== DROP_AFTER_APPLY) {
          answer(response, canned);
          return;
        }
        // One draw per request decides its fate, so the fault mix is exactly the configured shares.
        const draw = canned === DROP_AFTER_APPLY ? 1 : random();
        if (draw < faults.throttleRate) {
          counts.throttled++;
          answer(response, { status: 400, code: 'Throttling', message: 'Rate exceeded' });
          return;
        }
        if (draw < faults.throttleRate + faults.dropBeforeRate) {
          counts.droppedBeforeForward++;
          request.socket.destroy();
          return;
        }
        dropAfter =
          canned === DROP_AFTER_APPLY ||
          draw < faults.throttleRate + faults.dropBeforeRate + faults.dropAfterRate;
        if (!isRead(proxied.action)) {
          counts.writes.push({ action: proxied.action, params: Object.fromEntries(params) });
        }
      }
      forward(
        request,
        body,
        (status, headers, payload) => {
          if (dropAfter) {
            counts.droppedAfterApply++;
            if (!isRead(proxied.action)) bump(counts.droppedAfterApplyByAction, proxied.action);
            request.socket.destroy();
            return;
          }
          const { 'transfer-encoding': _chunked, connection: _connection, ...rest } = headers;
          response.writeHead(status, { ...rest, 'content-length': payload.length });
          response.end(payload);
        },
        () => {
          if (!response.headersSent) response.writeHead(502);
          response.end();
        },
      );
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  let stopped: Promise<void> | undefined;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    get counts() {
      return counts;
    },
    configure(next) {
      faults = { ...faults, ...next };
    },
    resetCounts() {
      counts = emptyCounts();
    },
    stop() {
      stopped ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return stopped;
    },
  };
}
