/** Shared pieces of the emulator's tests: a JSON call, and IonQ's Bell circuit. */

export const TEST_KEY = 'test-key';

/** H on qubit 0, CNOT 0 → 1: IonQ's worked example. */
export const BELL_INPUT = {
  gateset: 'qis',
  qubits: 2,
  circuit: [
    { gate: 'h', target: 0 },
    { gate: 'cnot', control: 0, target: 1 },
  ],
};

export interface Answer {
  status: number;
  headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: JSON answers
  body: any;
}

/** One request to the emulator at `base` (a string body is sent as is). */
export async function api(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  auth: string | null = `apiKey ${TEST_KEY}`,
): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (auth !== null) headers.authorization = auth;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${base}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}

/**
 * Creates a job, reads it until it is completed (a job whose results take longer than a moment to
 * compute reads as started meanwhile, as on IonQ) and returns its probabilities.
 */
export async function probabilitiesOf(base: string, job: Record<string, unknown>): Promise<Record<string, number>> {
  const created = await api(base, 'POST', '/jobs', job);
  if (created.status !== 201) throw new Error(`job refused: ${JSON.stringify(created.body)}`);
  for (;;) {
    const read = await api(base, 'GET', `/jobs/${created.body.id}`);
    if (read.body.status === 'completed') break;
    if (read.body.status !== 'started' && read.body.status !== 'submitted' && read.body.status !== 'ready') {
      throw new Error(`job ended ${read.body.status}: ${JSON.stringify(read.body)}`);
    }
  }
  return (await api(base, 'GET', `/jobs/${created.body.id}/results/probabilities`)).body;
}
