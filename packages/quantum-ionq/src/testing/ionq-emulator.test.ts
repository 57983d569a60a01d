import { get as httpGet } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Answer, api, BELL_INPUT, TEST_KEY } from './emulator.test-helper.js';
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

const KEY = TEST_KEY;
let emu: IonqEmulator;
let base: string;

const call = (method: string, path: string, body?: unknown, auth: string | null = `apiKey ${KEY}`) =>
  api(base, method, path, body, auth);

async function waitDone(id: string): Promise<Answer> {
  for (let i = 0; i < 2000; i++) {
    const r = await call('GET', `/jobs/${id}`);
    if (['completed', 'failed', 'canceled'].includes(r.body.status)) return r;
    await new Promise((res) => setTimeout(res, 3));
  }
  throw new Error('job did not finish');
}

const bell = BELL_INPUT;

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
    expect(done.body).not.toHaveProperty('shots'); // the contract: not included for the ideal simulator
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
    expectError(await call('PUT', '/jobs/status/cancel', { ids: [a, '617a1f8b-59d4-435d-aa33-695433d7155e'] }), 404);
    expect((await call('GET', `/jobs/${a}`)).body.status).not.toBe('canceled'); // nothing changed
    emu.setTiming({ queueMs: 1 });
    const finished = (await call('POST', '/jobs', job())).body.id;
    await waitDone(finished);
    expect((await call('PUT', '/jobs/status/cancel', { ids: [a, b, finished] })).body).toEqual({
      ids: [a, b],
      status: 'canceled',
    });
    expect((await call('GET', `/jobs/${finished}`)).body.status).toBe('completed');
    expect((await call('GET', `/jobs/${b}`)).body.status).toBe('canceled');
    expect((await call('DELETE', `/jobs/${a}`)).body).toEqual({ id: a, status: 'deleted' });
    expectError(await call('GET', `/jobs/${a}`), 404);
    expect((await call('DELETE', '/jobs', { ids: [b] })).body).toEqual({ ids: [b], status: 'deleted' });
    expectError(await call('GET', `/jobs/${b}`), 404);
    expectError(await call('DELETE', '/jobs', { id: b }), 400, ['ids']);
  });

  it('an injected clock drives the lifecycle; an infinite queue keeps a job ready until cancelled', async () => {
    let clock = 1_000_000;
    const timed = new IonqEmulator({ now: () => clock, timing: { submitMs: 100, queueMs: 200, runMs: 300 } });
    base = await timed.start();
    try {
      const id = (await call('POST', '/jobs', job())).body.id;
      const at = async (t: number) => {
        clock = 1_000_000 + t;
        return (await call('GET', `/jobs/${id}`)).body;
      };
      expect((await at(99)).status).toBe('submitted');
      const ready = await at(100);
      expect(ready.status).toBe('ready');
      expect(ready.predicted_wait_time_ms).toBe(200);
      expect((await at(299)).status).toBe('ready');
      const started = await at(300);
      expect(started.status).toBe('started');
      expect(started.started_at).toBe(new Date(1_000_300).toISOString());
      expect(started.completed_at).toBeNull();
      const done = await at(600);
      expect(done.status).toBe('completed');
      expect(done.execution_duration_ms).toBe(300);
      expect(() => timed.failJob(id, { code: 'InternalError', message: 'late' })).toThrow(/already completed/);
      timed.setTiming({ queueMs: Number.POSITIVE_INFINITY });
      const stuck = (await call('POST', '/jobs', job())).body.id;
      clock += 10 ** 9;
      const view = (await call('GET', `/jobs/${stuck}`)).body;
      expect(view.status).toBe('ready');
      expect(view.predicted_wait_time_ms).toBeNull();
      expect((await call('PUT', `/jobs/${stuck}/status/cancel`)).status).toBe(200);
      expect((await call('GET', `/jobs/${stuck}`)).body.status).toBe('canceled');
    } finally {
      await timed.stop();
      base = emu.url;
    }
  });

  it('unknown job: 404 with the NotFound body', async () => {
    const r = await call('GET', '/jobs/617a1f8b-59d4-435d-aa33-695433d7155e');
    expectError(r, 404);
    expect(r.body.error).toBe('Not Found Error');
  });
});

describe('IonqEmulator: validation (400 with IonQ’s BadRequestError and the offending keys)', () => {
  const native = (circuit: unknown[], qubits = 2) => ({ gateset: 'native', qubits, circuit });
  const cases: Array<[string, Record<string, unknown>, string[]]> = [
    ['unknown type', job({ type: 'ionq.circuit.v9' }), ['type']],
    ['qasm3 is not emulated', job({ type: 'ionq.qasm3.v1' }), ['type']],
    ['unknown top-level key', job({ shotz: 10 }), ['shotz']],
    ['missing backend', job({ backend: undefined }), ['backend']],
    ['unknown backend', job({ backend: 'qpu.tempo-9' }), ['backend']],
    ['shots 0', job({ shots: 0 }), ['shots']],
    ['shots above 1,000,000', job({ shots: 1_000_001 }), ['shots']],
    ['fractional shots', job({ shots: 10.5 }), ['shots']],
    ['metadata value not a string', job({ metadata: { a: 1 } }), ['metadata.a']],
    [
      'metadata with 11 keys',
      job({ metadata: Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`k${i}`, 'v'])) }),
      ['metadata'],
    ],
    ['metadata key of 41 characters', job({ metadata: { ['k'.repeat(41)]: 'v' } }), [`metadata.${'k'.repeat(41)}`]],
    ['metadata value of 40,001 characters', job({ metadata: { k: 'v'.repeat(40_001) } }), ['metadata.k']],
    ['name not a string', job({ name: 5 }), ['name']],
    ['unknown noise model', job({ noise: { model: 'aria-9' } }), ['noise.model']],
    ['noise on a QPU', job({ backend: 'qpu.aria-1', noise: { model: 'aria-1' } }), ['noise']],
    [
      'debiasing under 500 shots',
      job({ settings: { error_mitigation: { debiasing: true } }, shots: 100 }),
      ['settings.error_mitigation.debiasing', 'shots'],
    ],
    ['missing input', job({ input: undefined }), ['input']],
    ['missing gateset', job({}, { qubits: 1, circuit: [] }), ['input.gateset']],
    ['input.circuits on a single-circuit job', job({}, { gateset: 'qis', circuits: [] }), ['input.circuits']],
    [
      'unknown qis gate',
      job({}, { gateset: 'qis', qubits: 1, circuit: [{ gate: 'sqrtx', target: 0 }] }),
      ['input.circuit[0].gate'],
    ],
    [
      'pauliexp is not emulated',
      job({}, { gateset: 'qis', qubits: 1, circuit: [{ gate: 'pauliexp' }] }),
      ['input.circuit[0].gate'],
    ],
    [
      'native gate in a qis circuit',
      job({}, { gateset: 'qis', qubits: 1, circuit: [{ gate: 'gpi', target: 0 }] }),
      ['input.circuit[0].gate'],
    ],
    [
      'rx without rotation',
      job({}, { gateset: 'qis', qubits: 1, circuit: [{ gate: 'rx', target: 0 }] }),
      ['input.circuit[0].rotation'],
    ],
    [
      'unknown gate key',
      job({}, { gateset: 'qis', qubits: 1, circuit: [{ gate: 'x', target: 0, phase: 1 }] }),
      ['input.circuit[0].phase'],
    ],
    [
      'gate outside the qubits',
      job({}, { gateset: 'qis', qubits: 2, circuit: [{ gate: 'x', target: 2 }] }),
      ['input.qubits'],
    ],
    [
      'cnot with its control on its target',
      job(
        {},
        {
          gateset: 'qis',
          qubits: 2,
          circuit: [{ gate: 'cnot', control: 1, target: 1 }],
        },
      ),
      ['input.circuit[0].controls'],
    ],
    [
      'three controls',
      job(
        {},
        {
          gateset: 'qis',
          qubits: 4,
          circuit: [{ gate: 'x', controls: [0, 1, 2], target: 3 }],
        },
      ),
      ['input.circuit[0].controls'],
    ],
    [
      'ms angle above a quarter turn',
      job({}, native([{ gate: 'ms', targets: [0, 1], phases: [0, 0], angle: 0.3 }])),
      ['input.circuit[0].angle'],
    ],
    ['ms with one phase', job({}, native([{ gate: 'ms', targets: [0, 1], phases: [0] }])), ['input.circuit[0].phases']],
    ['gpi without phase', job({}, native([{ gate: 'gpi', target: 0 }])), ['input.circuit[0].phase']],
    [
      'controls on a native gate',
      job({}, native([{ gate: 'gpi', target: 0, phase: 0, controls: [1] }])),
      ['input.circuit[0].controls'],
    ],
    [
      'zz on Aria (gpi, gpi2, ms only)',
      job({ backend: 'qpu.aria-1' }, native([{ gate: 'zz', targets: [0, 1], angle: 0.1 }])),
      ['input.circuit'],
    ],
    ['30 qubits on the 29-qubit simulator', job({}, { gateset: 'qis', qubits: 30, circuit: [] }), ['input.qubits']],
    [
      '26 qubits on 25-qubit Aria',
      job({ backend: 'qpu.aria-1' }, { gateset: 'qis', qubits: 26, circuit: [] }),
      ['input.qubits'],
    ],
  ];
  for (const [what, body, keys] of cases) {
    it(what, async () => {
      const before = emu.jobCount;
      const r = await call('POST', '/jobs', body);
      expectError(r, 400, keys);
      expect(r.body.error).toBe('Bad Request');
      expect(r.body.validation.source).toBe('body');
      expect(emu.jobCount).toBe(before);
    });
  }

  it('multi-circuit limits: 5,001 circuits, 150,001 gates, input.circuit alongside circuits, a bad child gate', async () => {
    const multi = (input: Record<string, unknown>) => ({ type: 'ionq.multi-circuit.v1', backend: 'simulator', input });
    const tooMany = Array.from({ length: 5001 }, () => ({ circuit: [] }));
    expectError(await call('POST', '/jobs', multi({ gateset: 'qis', qubits: 1, circuits: tooMany })), 400, [
      'input.circuits',
    ]);
    const gates = Array.from({ length: 50_001 }, () => ({ gate: 'x', target: 0 }));
    const heavy = Array.from({ length: 3 }, () => ({ circuit: gates }));
    expectError(await call('POST', '/jobs', multi({ gateset: 'qis', qubits: 1, circuits: heavy })), 400, [
      'input.circuits',
    ]);
    expectError(
      await call('POST', '/jobs', multi({ gateset: 'qis', qubits: 1, circuit: [], circuits: [{ circuit: [] }] })),
      400,
      ['input.circuit'],
    );
    const bad = multi({
      gateset: 'qis',
      qubits: 1,
      circuits: [{ circuit: [] }, { circuit: [{ gate: 'nope', target: 0 }] }],
    });
    expectError(await call('POST', '/jobs', bad), 400, ['input.circuits[1].circuit[0].gate']);
  });

  it('a body that is not JSON: 400; above 10 MB: 413', async () => {
    const r = await call('POST', '/jobs', '{"type":');
    expectError(r, 400);
    const big = JSON.stringify(job({ name: 'x'.repeat(10 * 1024 * 1024) }));
    expectError(await call('POST', '/jobs', big), 413);
  });

  it('qubits may be left out (inferred from the gates) and native nop is a no-op', async () => {
    const { job: done, probs } = await run(
      job({}, { gateset: 'native', circuit: [{ gate: 'gpi', target: 2, phase: 0 }, { gate: 'nop' }] }),
    );
    expect(done.body.stats.qubits).toBe(3);
    expect(probs.body).toEqual({ '4': 1 });
  });
});

describe('IonqEmulator: faults and request log', () => {
  it('429 with Retry-After and IonQ’s body, then normal service', async () => {
    emu.injectFault({ kind: 'status', status: 429, retryAfterSeconds: 2, match: /^POST \/v0\.4\/jobs$/ });
    const limited = await call('POST', '/jobs', job());
    expectError(limited, 429);
    expect(limited.headers.get('retry-after')).toBe('2');
    expect(limited.body.error).toBe('Too Many Requests');
    expect((await call('POST', '/jobs', job())).status).toBe(201);
  });

  it('5xx for `times` matching requests only; a raw HTML 520', async () => {
    emu.injectFault({ kind: 'status', status: 502, times: 2, match: /^GET \/v0\.4\/jobs\// });
    const id = (await call('POST', '/jobs', job())).body.id;
    expectError(await call('GET', `/jobs/${id}`), 502);
    expectError(await call('GET', `/jobs/${id}`), 502);
    expect((await call('GET', `/jobs/${id}`)).status).toBe(200);
    emu.injectFault({
      kind: 'status',
      status: 520,
      rawBody: '<html>520: Web server is returning an unknown error</html>',
    });
    const res = await fetch(`${base}/jobs`, { headers: { authorization: `apiKey ${KEY}` } });
    expect(res.status).toBe(520);
    expect(res.headers.get('content-type')).toContain('text/html');
  });

  it('slow responses and dropped connections', async () => {
    emu.injectFault({ kind: 'delay', delayMs: 150, match: /^GET \/v0\.4\/whoami$/ });
    const t0 = Date.now();
    expect((await call('GET', '/whoami')).status).toBe(200);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
    emu.injectFault({ kind: 'drop', match: /^GET \/v0\.4\/whoami$/ });
    await expect(call('GET', '/whoami')).rejects.toThrow();
    expect((await call('GET', '/whoami')).status).toBe(200);
  });

  it('failed jobs: the next created job, or one by id, fails with its reason', async () => {
    emu.injectFault({ kind: 'fail-job', failure: { code: 'QuantumComputerError', message: 'ion chain lost' } });
    const a = (await call('POST', '/jobs', job())).body.id;
    const doneA = await waitDone(a);
    expect(doneA.body.status).toBe('failed');
    expect(doneA.body.failure).toEqual({ code: 'QuantumComputerError', message: 'ion chain lost' });
    expect(doneA.body.results).toBeNull();
    expect((await call('GET', `/jobs/${a}/results/probabilities`)).status).toBe(404);
    emu.setTiming({ queueMs: 50 });
    const b = (await call('POST', '/jobs', job())).body.id;
    emu.failJob(b, { code: 'NotEnoughQubits', message: 'only 20 qubits available' });
    expect((await waitDone(b)).body.failure.code).toBe('NotEnoughQubits');
    const c = (await call('POST', '/jobs', job())).body.id;
    expect((await waitDone(c)).body.status).toBe('completed');
  });

  it('counts requests by route and keeps bodies, never the key', async () => {
    const before = emu.count(/^POST \/v0\.4\/jobs$/);
    await call('POST', '/jobs', job({ name: 'counted' }));
    expect(emu.count(/^POST \/v0\.4\/jobs$/)).toBe(before + 1);
    const last = emu.requests.filter((r) => r.method === 'POST').at(-1);
    expect(last).toMatchObject({ path: '/v0.4/jobs', status: 201, authorized: true, body: { name: 'counted' } });
    emu.clearRequests();
    expect(emu.count()).toBe(0);
    expect(emu.requests).toHaveLength(0);
  });

  it('the request log keeps the latest maxRecordedRequests; count sees every request', async () => {
    const small = new IonqEmulator({ maxRecordedRequests: 3 });
    base = await small.start();
    try {
      for (let i = 0; i < 5; i++) await call('GET', '/whoami');
      expect(small.requests).toHaveLength(3);
      expect(small.count(/^GET \/v0\.4\/whoami$/)).toBe(5);
    } finally {
      await small.stop();
      base = emu.url;
    }
  });

  it('a rate limit answers 429 with the seconds until a slot frees', async () => {
    const limited = new IonqEmulator({ rateLimit: { requests: 2, windowMs: 1500 } });
    base = await limited.start();
    try {
      expect((await call('GET', '/jobs')).status).toBe(200);
      expect((await call('GET', '/jobs')).status).toBe(200);
      const third = await call('GET', '/jobs');
      expectError(third, 429);
      expect(third.headers.get('retry-after')).toBe('2');
    } finally {
      await limited.stop();
      base = emu.url;
    }
  });
});

describe('a job whose results take long to compute', () => {
  // 16 qubits under aria-1 noise: 4,096 trajectories, each sampled on quantum-sim (minutes in all).
  const wide = {
    gateset: 'qis',
    qubits: 16,
    circuit: [
      ...Array.from({ length: 16 }, (_, q) => ({ gate: 'h', target: q })),
      ...Array.from({ length: 15 }, (_, q) => ({ gate: 'cnot', control: q, target: q + 1 })),
    ],
  };
  const slow = () => job({ shots: 4096, noise: { model: 'aria-1' } }, wide);
  /** Reads the job until it is running (its computation has begun), for at most 2,000 reads. */
  async function untilStarted(url: string, id: string): Promise<Answer> {
    await new Promise((res) => setTimeout(res, 20)); // past the 3 ms of timing: running = computing
    let read = await api(url, 'GET', `/jobs/${id}`, undefined, `apiKey ${KEY}`);
    for (let i = 0; i < 2000 && read.body.status !== 'started'; i++) {
      await new Promise((res) => setTimeout(res, 5));
      read = await api(url, 'GET', `/jobs/${id}`, undefined, `apiKey ${KEY}`);
    }
    return read;
  }

  it('reads as started (running) until its results exist, and a cancel then stops the computation', async () => {
    const local = new IonqEmulator({ apiKeys: [KEY], timing: { submitMs: 1, queueMs: 1, runMs: 1 } });
    const url = await local.start();
    try {
      const created = await api(url, 'POST', '/jobs', slow(), `apiKey ${KEY}`);
      expect(created.status).toBe(201);
      const read = await untilStarted(url, created.body.id);
      expect(read.body.status).toBe('started');
      expect(read.body.results).toBeNull();
      const canceled = await api(url, 'PUT', `/jobs/${created.body.id}/status/cancel`, undefined, `apiKey ${KEY}`);
      expect(canceled.body).toEqual({ id: created.body.id, status: 'canceled' });
      const after = await api(url, 'GET', `/jobs/${created.body.id}`, undefined, `apiKey ${KEY}`);
      expect(after.body.status).toBe('canceled');
      expect(
        (await api(url, 'GET', `/jobs/${created.body.id}/results/probabilities`, undefined, `apiKey ${KEY}`)).status,
      ).toBe(404);
    } finally {
      // stop() waits for computations in flight: it returns only because the cancel stopped this one
      await local.stop();
    }
  });

  it('stop() stops a computation in flight, so a process can exit', async () => {
    const local = new IonqEmulator({ apiKeys: [KEY], timing: { submitMs: 1, queueMs: 1, runMs: 1 } });
    const url = await local.start();
    const created = await api(url, 'POST', '/jobs', slow(), `apiKey ${KEY}`);
    expect((await untilStarted(url, created.body.id)).body.status).toBe('started');
    await local.stop(); // without the abort this waits for minutes of trajectories (the test times out)
    const again = await local.start();
    // a fresh connection (fetch's pooled keep-alive socket may point at the stopped server's port)
    const read = await new Promise<{ status: string; failure: { code: string } }>((resolve, reject) => {
      const req = httpGet(
        `${again}/jobs/${created.body.id}`,
        { headers: { authorization: `apiKey ${KEY}` }, agent: false },
        (m) => {
          let text = '';
          m.on('data', (d) => {
            text += String(d);
          });
          m.on('end', () => resolve(JSON.parse(text)));
        },
      );
      req.on('error', reject);
    });
    expect(read.status).toBe('failed');
    expect(read.failure.code).toBe('EmulatorStopped');
    await local.stop();
  });
});
