import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { IonqEmulator } from './index.js';

/**
 * The contract's shapes, copied from IonQ's OpenAPI v0.4 (`components.schemas`): required keys,
 * and for `additionalProperties: false` schemas every key allowed.
 */
const SINGLE_JOB_KEYS = [
  'id',
  'status',
  'type',
  'backend',
  'dry_run',
  'submitter_id',
  'project_id',
  'parent_job_id',
  'session_id',
  'metadata',
  'name',
  'submitted_at',
  'started_at',
  'completed_at',
  'predicted_wait_time_ms',
  'predicted_execution_duration_ms',
  'execution_duration_ms',
  'failure',
  'output',
  'settings',
  'stats',
  'results',
  'child_job_ids',
];
const JOB_OPTIONAL_KEYS = ['shots', 'noise', 'cost_model'];
const BASE_JOB_KEYS = SINGLE_JOB_KEYS.filter((k) => k !== 'child_job_ids');
const JOB_STATUSES = ['submitted', 'ready', 'started', 'canceled', 'failed', 'completed'];
const BACKEND_REQUIRED = ['backend', 'status', 'qubits', 'average_queue_time', 'last_updated'];
const ERROR_REQUIRED = ['statusCode', 'error', 'message'];
/** IonQ's worked example (ionq-bell-probabilities-example.json): H(0), CNOT(0→1) on the ideal simulator. */
const BELL_EXAMPLE: Record<string, number> = { '0': 0.5, '3': 0.5 };

const KEY = 'test-key';
let emu: IonqEmulator;
let base: string;

interface Answer {
  status: number;
  headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: JSON answers
  body: any;
}

async function call(
  method: string,
  path: string,
  body?: unknown,
  auth: string | null = `apiKey ${KEY}`,
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

async function waitDone(id: string): Promise<Answer> {
  for (let i = 0; i < 2000; i++) {
    const r = await call('GET', `/jobs/${id}`);
    if (['completed', 'failed', 'canceled'].includes(r.body.status)) return r;
    await new Promise((res) => setTimeout(res, 3));
  }
  throw new Error('job did not finish');
}

const bell = {
  gateset: 'qis',
  qubits: 2,
  circuit: [
    { gate: 'h', target: 0 },
    { gate: 'cnot', control: 0, target: 1 },
  ],
};

function job(extra: Record<string, unknown> = {}, input: unknown = bell): Record<string, unknown> {
  return { type: 'ionq.circuit.v1', backend: 'simulator', shots: 1000, input, ...extra };
}

async function run(body: Record<string, unknown>): Promise<{ job: Answer; probs: Answer }> {
  const created = await call('POST', '/jobs', body);
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const done = await waitDone(created.body.id);
  const probs = await call('GET', `/jobs/${created.body.id}/results/probabilities`);
  return { job: done, probs };
}

function expectError(a: Answer, status: number, keys?: string[]): void {
  expect(a.status, JSON.stringify(a.body)).toBe(status);
  for (const k of ERROR_REQUIRED) expect(a.body).toHaveProperty(k);
  expect(a.body.statusCode).toBe(status);
  if (keys) expect(a.body.validation.keys).toEqual(keys);
}

beforeAll(async () => {
  emu = new IonqEmulator({ timing: { submitMs: 1, queueMs: 1, runMs: 1 } });
  base = await emu.start();
});
afterAll(() => emu.stop());
afterEach(() => {
  emu.clearFaults();
  emu.setTiming({ submitMs: 1, queueMs: 1, runMs: 1 });
});

describe('IonqEmulator: contract shapes', () => {
  it('serves on 127.0.0.1 under /v0.4', () => {
    expect(base).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v0\.4$/);
  });

  it('create → JobCreationResponse; get → SingleCircuitJob with exactly the contract keys', async () => {
    const created = await call('POST', '/jobs', job({ name: 'bell', metadata: { a: 'b' } }));
    expect(created.status).toBe(201);
    expect(Object.keys(created.body).sort()).toEqual(['id', 'session_id', 'status']);
    expect(created.body.status).toBe('submitted');
    expect(created.body.session_id).toBeNull();
    const done = await waitDone(created.body.id);
    const keys = Object.keys(done.body);
    for (const k of SINGLE_JOB_KEYS) expect(keys).toContain(k);
    for (const k of keys) expect([...SINGLE_JOB_KEYS, ...JOB_OPTIONAL_KEYS]).toContain(k);
    expect(done.body).toMatchObject({
      status: 'completed',
      type: 'ionq.circuit.v1',
      backend: 'simulator',
      name: 'bell',
      metadata: { a: 'b' },
      shots: 1000,
      failure: null,
      noise: { model: 'ideal' },
      child_job_ids: null,
      parent_job_id: null,
      stats: { qubits: 2, circuits: 1, gate_counts: { '1q': 1, '2q': 1 } },
      results: {
        'ionq.result.probabilities.json.v1': {
          id: 'probabilities',
          format: 'ionq.result.probabilities.json.v1',
          media_type: 'application/json',
        },
      },
    });
    for (const k of ['submitted_at', 'started_at', 'completed_at']) {
      expect(new Date(done.body[k]).toISOString()).toBe(done.body[k]);
    }
    // The artifact descriptor's id downloads the same payload.
    const artifact = await call('GET', `/jobs/${created.body.id}/artifacts/probabilities`);
    const probs = await call('GET', `/jobs/${created.body.id}/results/probabilities`);
    expect(artifact.body).toEqual(probs.body);
  });

  it('list → GetJobsResponse of BaseJob entries, newest first, filters and pagination by next', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await call('POST', '/jobs', job({ name: `list-${i}` }))).body.id);
    const all = await call('GET', '/jobs');
    expect(Object.keys(all.body).sort()).toEqual(['jobs', 'next']);
    for (const j of all.body.jobs) {
      for (const k of BASE_JOB_KEYS) expect(j).toHaveProperty(k);
      for (const k of Object.keys(j)) expect([...BASE_JOB_KEYS, ...JOB_OPTIONAL_KEYS]).toContain(k);
      expect(JOB_STATUSES).toContain(j.status);
    }
    const page = await call('GET', `/jobs?limit=2&ids=${ids.join(',')}`);
    expect(page.body.jobs.map((j: { id: string }) => j.id)).toEqual([ids[2], ids[1]]);
    expect(page.body.next).toBe(ids[0]);
    const rest = await call('GET', `/jobs?limit=2&ids=${ids.join(',')}&next=${page.body.next}`);
    expect(rest.body.jobs.map((j: { id: string }) => j.id)).toEqual([ids[0]]);
    expect(rest.body.next).toBeNull();
    const none = await call('GET', '/jobs?target=qpu.forte-1');
    expect(none.body.jobs.every((j: { backend: string }) => j.backend === 'qpu.forte-1')).toBe(true);
  });

  it('backends and characterizations need no key and carry the contract fields', async () => {
    const list = await call('GET', '/backends', undefined, null);
    expect(list.status).toBe(200);
    expect(Array.isArray(list.body)).toBe(true);
    for (const b of list.body) for (const k of BACKEND_REQUIRED) expect(b).toHaveProperty(k);
    const forte = list.body.find((b: { backend: string }) => b.backend === 'qpu.forte-1');
    expect(forte.qubits).toBe(36);
    const one = await call('GET', '/backends/qpu.aria-1', undefined, null);
    expect(one.body).toMatchObject({ backend: 'qpu.aria-1', qubits: 25, status: 'available' });
    const chars = await call('GET', '/backends/qpu.aria-1/characterizations', undefined, null);
    expect(chars.body.characterizations).toHaveLength(1);
    const c = chars.body.characterizations[0];
    expect(c.fidelity).toEqual({ spam: { median: 0.9961 }, '1q': { median: 0.9995 }, '2q': { median: 0.996 } });
    expect(c.connectivity).toHaveLength((25 * 24) / 2);
    expect(c.timing).toHaveProperty('readout');
    expect(c.timing).toHaveProperty('reset');
    const byId = await call('GET', `/backends/qpu.aria-1/characterizations/${one.body.characterization_id}`);
    expect(byId.body).toEqual(c);
    expectError(await call('GET', '/backends/qpu.nope'), 404);
    expectError(await call('GET', '/backends/qpu.aria-1/characterizations?limit=11'), 400, ['limit']);
  });

  it('whoami needs a key and names it', async () => {
    const me = await call('GET', '/whoami');
    expect(me.status).toBe(200);
    expect(me.body).toHaveProperty('key_id');
    expect(me.body).toHaveProperty('key_name');
    expectError(await call('GET', '/whoami', undefined, null), 401);
  });

  it('cost and estimate: zero on the simulator, shots × circuits × price on a QPU', async () => {
    const sim = await call('POST', '/jobs', job());
    const simCost = await call('GET', `/jobs/${sim.body.id}/cost`);
    expect(simCost.body).toMatchObject({ dry_run: false, estimated_cost: { value: 0, unit: 'usd' } });
    const qpu = await call('POST', '/jobs', job({ backend: 'qpu.aria-1', shots: 200 }));
    const qpuCost = await call('GET', `/jobs/${qpu.body.id}/cost`);
    expect(qpuCost.body.estimated_cost.value).toBeCloseTo(200 * 0.03, 12);
    const estimate = await call('GET', '/jobs/estimate?backend=qpu.aria-1&shots=500');
    expect(estimate.body.estimated_total_cost).toBeCloseTo(500 * 0.03, 12);
    for (const k of [
      'estimate_context',
      'estimated_at',
      'estimated_unit',
      'rate_card',
      'estimated_total_cost',
      'estimated_execution_time',
      'current_predicted_queue_time',
    ]) {
      expect(estimate.body).toHaveProperty(k);
    }
  });
});

describe('IonqEmulator: results', () => {
  it("reproduces IonQ's worked Bell example", async () => {
    const { probs } = await run(job());
    expect(Object.keys(probs.body).sort()).toEqual(Object.keys(BELL_EXAMPLE).sort());
    for (const [k, p] of Object.entries(BELL_EXAMPLE)) expect(probs.body[k]).toBeCloseTo(p, 12);
  });

  it('pins the bit order: X on qubit 0 of 3 is key "1"; X on qubit 2 is key "4"', async () => {
    const x0 = await run(job({}, { gateset: 'qis', qubits: 3, circuit: [{ gate: 'x', target: 0 }] }));
    expect(x0.probs.body).toEqual({ '1': 1 });
    const x2 = await run(job({}, { gateset: 'qis', qubits: 3, circuit: [{ gate: 'x', target: 2 }] }));
    expect(x2.probs.body).toEqual({ '4': 1 });
  });

  it('a controlled gate with its control on the high qubit', async () => {
    // x on 2, cnot 2→0: |101⟩ = 5.
    const r = await run(
      job(
        {},
        {
          gateset: 'qis',
          qubits: 3,
          circuit: [
            { gate: 'x', target: 2 },
            { gate: 'cnot', control: 2, target: 0 },
          ],
        },
      ),
    );
    expect(r.probs.body).toEqual({ '5': 1 });
  });

  it('exact probabilities of a rotation (ideal simulator ignores shots)', async () => {
    const theta = 1.1;
    const { probs } = await run(
      job({ shots: 7 }, { gateset: 'qis', qubits: 1, circuit: [{ gate: 'ry', target: 0, rotation: theta }] }),
    );
    expect(probs.body['0']).toBeCloseTo(Math.cos(theta / 2) ** 2, 12);
    expect(probs.body['1']).toBeCloseTo(Math.sin(theta / 2) ** 2, 12);
  });

  it('multi-circuit: one job, child ids, results keyed by child id, children readable on their own', async () => {
    const created = await call('POST', '/jobs', {
      type: 'ionq.multi-circuit.v1',
      backend: 'simulator',
      shots: 100,
      name: 'batch',
      input: {
        gateset: 'native',
        qubits: 2,
        circuits: [
          { name: 'qis bell', gateset: 'qis', circuit: bell.circuit },
          { name: 'flip 1', circuit: [{ gate: 'gpi', target: 1, phase: 0 }] },
          { name: 'x0', gateset: 'qis', qubits: 1, circuit: [{ gate: 'x', target: 0 }] },
        ],
      },
    });
    expect(created.status).toBe(201);
    const done = await waitDone(created.body.id);
    expect(done.body.type).toBe('ionq.multi-circuit.v1');
    expect(done.body.child_job_ids).toHaveLength(3);
    expect(done.body.stats.circuits).toBe(3);
    expect(done.body.results).toHaveProperty('ionq.result.probabilities-aggregate.json.v1');
    const probs = await call('GET', `/jobs/${created.body.id}/results/probabilities`);
    const [a, b, c] = done.body.child_job_ids as string[];
    expect(Object.keys(probs.body).sort()).toEqual([a, b, c].sort());
    expect(probs.body[a as string]['0']).toBeCloseTo(0.5, 12);
    expect(probs.body[a as string]['3']).toBeCloseTo(0.5, 12);
    expect(probs.body[b as string]).toEqual({ '2': 1 });
    expect(probs.body[c as string]).toEqual({ '1': 1 });
    const child = await call('GET', `/jobs/${b}`);
    expect(child.body).toMatchObject({ id: b, parent_job_id: created.body.id, name: 'flip 1', status: 'completed' });
    expect((await call('GET', `/jobs/${b}/results/probabilities`)).body).toEqual({ '2': 1 });
    const children = await call('GET', `/jobs?parent_job_id=${created.body.id}`);
    expect(children.body.jobs.map((j: { id: string }) => j.id).sort()).toEqual([a, b, c].sort());
    const aggregate = await call('GET', `/jobs/${created.body.id}/artifacts/probabilities-aggregate`);
    expect(aggregate.body).toEqual(probs.body);
  });
});

describe('IonqEmulator: auth', () => {
  it('401 with IonQ’s body without the header, with a wrong key, or without the apiKey prefix', async () => {
    for (const auth of [null, 'apiKey wrong', `Bearer ${KEY}`, KEY]) {
      const r = await call('POST', '/jobs', job(), auth);
      expectError(r, 401);
      expect(r.body.error).toBe('Unauthorized Error');
      expect(JSON.stringify(r.body)).not.toContain(KEY);
    }
    expect(emu.requests.at(-1)?.authorized).toBe(false);
    expect(JSON.stringify(emu.requests)).not.toContain(`apiKey ${KEY}`);
    expectError(await call('GET', '/jobs', undefined, null), 401);
  });

  it('accepts any configured key', async () => {
    const other = new IonqEmulator({ apiKeys: ['k1', 'k2'] });
    base = await other.start();
    try {
      expect((await call('GET', '/jobs', undefined, 'apiKey k2')).status).toBe(200);
      expect((await call('GET', '/jobs', undefined, `apiKey ${KEY}`)).status).toBe(401);
    } finally {
      await other.stop();
      base = emu.url;
    }
  });
});

describe('IonqEmulator: lifecycle', () => {
  it('walks submitted → ready → started → completed over the configured time', async () => {
    emu.setTiming({ submitMs: 60, queueMs: 60, runMs: 60 });
    const created = await call('POST', '/jobs', job());
    const seen: string[] = [];
    const t0 = Date.now();
    for (;;) {
      const r = await call('GET', `/jobs/${created.body.id}`);
      if (seen.at(-1) !== r.body.status) seen.push(r.body.status);
      if (r.body.status === 'started') expect(r.body.started_at).not.toBeNull();
      if (r.body.status === 'submitted' || r.body.status === 'ready') {
        expect(r.body.results).toBeNull();
        expect((await call('GET', `/jobs/${created.body.id}/results/probabilities`)).status).toBe(404);
      }
      if (r.body.status === 'completed') break;
      await new Promise((res) => setTimeout(res, 10));
    }
    expect(seen).toEqual(['submitted', 'ready', 'started', 'completed']);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(170);
  });

  it('cancel: a queued job becomes canceled, stays canceled and has no results; a completed one is refused', async () => {
    emu.setTiming({ submitMs: 1, queueMs: 10_000, runMs: 1 });
    const created = await call('POST', '/jobs', job());
    const canceled = await call('PUT', `/jobs/${created.body.id}/status/cancel`);
    expect(canceled.status).toBe(200);
    expect(canceled.body).toEqual({ id: created.body.id, status: 'canceled' });
    const after = await call('GET', `/jobs/${created.body.id}`);
    expect(after.body.status).toBe('canceled');
    expect(after.body.results).toBeNull();
    expect((await call('GET', `/jobs/${created.body.id}/results/probabilities`)).status).toBe(404);
    emu.setTiming({ submitMs: 1, queueMs: 1, runMs: 1 });
    const quick = await call('POST', '/jobs', job());
    await waitDone(quick.body.id);
    expectError(await call('PUT', `/jobs/${quick.body.id}/status/cancel`), 400);
  });

  it('bulk cancel and delete; a deleted job is 404', async () => {
    emu.setTiming({ queueMs: 10_000 });
    const a = (await call('POST', '/jobs', job())).body.id;
    const b = (await call('POST', '/jobs', job())).body.id;
    expect((await call('PUT', '/jobs/status/cancel', { ids: [a, b] })).body).toEqual({
      ids: [a, b],
      status: 'canceled',
    });
    expect((await call('GET', `/jobs/${b}`)).body.status).toBe('canceled');
    expect((await call('DELETE', `/jobs/${a}`)).body).toEqual({ id: a, status: 'deleted' });
    expectError(await call('GET', `/jobs/${a}`), 404);
    expect((await call('DELETE', '/jobs', { ids: [b] })).body).toEqual({ ids: [b], status: 'deleted' });
    expectError(await call('GET', `/jobs/${b}`), 404);
    expectError(await call('DELETE', '/jobs', { id: b }), 400, ['ids']);
  });

  it('unknown job: 404 with the NotFound body', async () => {
    const r = await call('GET', '/jobs/617a1f8b-59d4-435d-aa33-695433d7155e');
    expectError(r, 404);
    expect(r.body.error).toBe('Not Found Error');
  });
});
