import { Pinecone } from '@pinecone-database/pinecone';
import { PineconeEmulator, type PineconeEmulatorOptions } from './index.js';

/** What the server answered last, seen through the official client's `fetchApi`. */
export interface Answer {
  status: number;
  body: unknown;
  headers: Headers;
}

export interface Harness {
  emulator: PineconeEmulator;
  pc: Pinecone;
  apiKey: string;
  /** Answers received, newest last. */
  answers: Answer[];
  last(): Answer;
  /** A client with other settings (same recorder). */
  client(options?: { apiKey?: string; maxRetries?: number }): Pinecone;
}

/** Starts an emulator and an official client pointed at it (no client retries unless asked). */
export async function startHarness(options: PineconeEmulatorOptions = {}): Promise<Harness> {
  const apiKey = options.apiKey ?? 'pc-test-key-0123456789';
  const emulator = new PineconeEmulator({ ...options, apiKey });
  await emulator.start();
  const answers: Answer[] = [];
  const recordingFetch = async (url: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const response = await fetch(url, init);
    const text = await response.clone().text();
    let body: unknown = text;
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      // keep the text
    }
    answers.push({ status: response.status, body, headers: response.headers });
    return response;
  };
  const client = (o: { apiKey?: string; maxRetries?: number } = {}) =>
    new Pinecone({
      apiKey: o.apiKey ?? apiKey,
      controllerHostUrl: emulator.url,
      maxRetries: o.maxRetries ?? 0,
      fetchApi: recordingFetch as typeof fetch,
    });
  return {
    emulator,
    pc: client(),
    apiKey,
    answers,
    last: () => {
      const a = answers.at(-1);
      if (!a) throw new Error('no answer recorded');
      return a;
    },
    client,
  };
}

/** A refusal as the server sent it, in either plane's body shape. */
export interface Refusal {
  status: number;
  /** Control plane: the string code; data plane: the gRPC code. */
  code: string | number | undefined;
  message: string | undefined;
  /** The body had the plane's exact shape (`{error, status}` or `{code, message, details: []}`). */
  wellFormed: boolean;
  retryAfter: string | null;
  /** The official client's error class name. */
  clientError: string;
}

/** Runs `call`, which must fail, and returns the server's last answer (throws if `call` succeeded). */
export async function refusal(h: Harness, call: () => Promise<unknown>): Promise<Refusal> {
  const before = h.answers.length;
  try {
    await call();
  } catch (error) {
    const clientError = (error as Error).name;
    if (h.answers.length === before) throw new Error(`the client refused before sending: ${(error as Error).message}`);
    const answer = h.last();
    const body = (answer.body ?? {}) as {
      error?: { code?: string; message?: string };
      status?: number;
      code?: number;
      message?: string;
      details?: unknown;
    };
    const control = body.error !== undefined;
    return {
      status: answer.status,
      code: control ? body.error?.code : body.code,
      message: control ? body.error?.message : body.message,
      wellFormed: control
        ? body.status === answer.status && typeof body.error?.code === 'string'
        : typeof body.code === 'number' && Array.isArray(body.details),
      retryAfter: answer.headers.get('retry-after'),
      clientError,
    };
  }
  throw new Error('the call succeeded');
}

export const serverless = { serverless: { cloud: 'aws' as const, region: 'us-east-1' } };

/** `n` records of dimension `dim`, ids `prefix0000…`. */
export function records(n: number, dim: number, prefix = 'r', metadata?: (i: number) => Record<string, unknown>) {
  return Array.from({ length: n }, (_, i) => ({
    id: `${prefix}${String(i).padStart(4, '0')}`,
    values: Array.from({ length: dim }, (_, j) => ((i * 31 + j * 7) % 97) / 97 + 0.01),
    ...(metadata && { metadata: metadata(i) as Record<string, string> }),
  }));
}

/** A non-zero vector of dimension `dim`. */
export function vector(dim: number, seed = 0): number[] {
  return Array.from({ length: dim }, (_, j) => ((seed * 31 + j * 7) % 97) / 97 + 0.01);
}

/** The spec of an index model, without the client's union type. */
export function specOf(model: { spec: unknown }): {
  serverless?: Record<string, unknown>;
  pod?: Record<string, unknown>;
} {
  return model.spec as { serverless?: Record<string, unknown>; pod?: Record<string, unknown> };
}
