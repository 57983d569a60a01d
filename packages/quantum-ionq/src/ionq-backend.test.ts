import { inspect } from 'node:util';
import { Circuit, createQuantumBackend, type QuantumBackend, type ValidationError } from '@q-store/core';
import { PluginRegistry } from '@q-store/core/backend';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failure } from './expect-error.test-helper.js';
import { IonQBackend, type IonQBackendOptions } from './ionq-backend.js';
import { registerIonQ } from './registry.js';
import { IonqEmulator } from './testing/index.js';

const KEY = 'test-key';
let emulator: IonqEmulator;
let url: string;

beforeAll(async () => {
  emulator = new IonqEmulator({ apiKeys: [KEY], timing: { submitMs: 2, queueMs: 5, runMs: 5 } });
  url = await emulator.start();
});
afterAll(async () => {
  await emulator.stop();
});

const backend = (options: Partial<IonQBackendOptions> = {}) =>
  new IonQBackend({ apiKey: KEY, baseUrl: url, pollIntervalMs: 2, maxPollIntervalMs: 20, ...options });

const jobPosts = () => emulator.requests.filter((r) => r.method === 'POST' && r.path === '/v0.4/jobs');

describe('IonQBackend on the emulator', () => {
  it('bit order: qubit 0 is least significant (asymmetric circuits)', async () => {
    const b = backend();
    const [x0, x2, mixed] = await b.sample({
      circuits: [
        new Circuit(3).x(0).toJSON(),
        new Circuit(3).x(2).toJSON(),
        // qubit 0 → |1⟩, qubit 1 → |0⟩, qubit 2 → 50/50: keys '001' and '101'.
        new Circuit(3).x(0).h(2).toJSON(),
      ],
      shots: 400,
      seed: 7,
    });
    expect(x0?.counts).toEqual({ '001': 400 });
    expect(x2?.counts).toEqual({ '100': 400 });
    expect(Object.keys(mixed?.counts ?? {}).sort()).toEqual(['001', '101']);
    expect(Math.abs((mixed?.counts['001'] ?? 0) - 200)).toBeLessThan(60);
  });

  it('one circuit is one ionq.circuit.v1 job; a sample call of several is one ionq.multi-circuit.v1 job', async () => {
    const b = backend();
    const before = jobPosts().length;
    await b.sample({ circuits: [new Circuit(2).h(0).cx(0, 1).toJSON()], shots: 100, seed: 1 });
    const single = jobPosts()[before]?.body as Record<string, unknown>;
    expect(single.type).toBe('ionq.circuit.v1');
    expect(single.backend).toBe('simulator');
    expect(single.shots).toBe(100);
    expect(single.input).toEqual({
      gateset: 'qis',
      qubits: 2,
      circuit: [
        { gate: 'h', target: 0 },
        { gate: 'cnot', control: 0, target: 1 },
      ],
    });
    const circuits = [1, 2, 3, 4].map((n) => new Circuit(n).h(0).toJSON());
    const results = await b.sample({ circuits, shots: 50, seed: 1 });
    expect(jobPosts().length).toBe(before + 2);
    const multi = jobPosts()[before + 1]?.body as { type: string; input: { circuits: unknown[] } };
    expect(multi.type).toBe('ionq.multi-circuit.v1');
    expect(multi.input.circuits).toHaveLength(4);
    results.forEach((r, i) => {
      for (const key of Object.keys(r.counts)) expect(key).toHaveLength(i + 1);
    });
    expect(b.usage()).toMatchObject({ jobs: 2, circuits: 5, shots: 100 + 200 });
  });

  it('native gateset sends gpi/gpi2/ms and gives the same answer', async () => {
    const b = backend({ gateset: 'native' });
    const before = jobPosts().length;
    const [r] = await b.sample({ circuits: [new Circuit(3).x(0).cx(0, 1).toJSON()], shots: 20, seed: 3 });
    expect(r?.counts).toEqual({ '011': 20 });
    const body = jobPosts()[before]?.body as { input: { gateset: string; circuit: Array<{ gate: string }> } };
    expect(body.input.gateset).toBe('native');
    const names = new Set(body.input.circuit.map((g) => g.gate));
    expect(names.has('ms')).toBe(true);
    for (const name of names) expect(['gpi', 'gpi2', 'ms']).toContain(name);
  });

  it('noise model and seed go to noise.{model, seed}; same seed same counts, aria-1 shows errors', async () => {
    const noisy = backend({ noiseModel: 'aria-1' });
    expect(noisy.capabilities.exact).toBe(false);
    const ghz = new Circuit(3).h(0).cx(0, 1).cx(1, 2).toJSON();
    const before = jobPosts().length;
    const [a] = await noisy.sample({ circuits: [ghz], shots: 2000, seed: 11 });
    const [b] = await noisy.sample({ circuits: [ghz], shots: 2000, seed: 11 });
    expect((jobPosts()[before]?.body as { noise?: unknown } | undefined)?.noise).toEqual({ model: 'aria-1', seed: 11 });
    expect(a?.counts).toEqual(b?.counts);
    const wrong = Object.entries(a?.counts ?? {})
      .filter(([k]) => k !== '000' && k !== '111')
      .reduce((s, [, c]) => s + c, 0);
    expect(wrong, 'aria-1 noise puts some shots outside 000/111').toBeGreaterThan(0);
    expect(wrong).toBeLessThan(200);
  });

  it('a job over the budget is refused before anything reaches IonQ', async () => {
    const qpu = backend({ target: 'qpu.forte-1', pricePerShotUsd: 0.01, maxCostUsd: 5 });
    const before = emulator.requests.length;
    const error = await failure(() => qpu.sample({ circuits: [new Circuit(1).h(0).toJSON()], shots: 1000 }));
    expect(error.code).toBe('BUDGET_EXCEEDED');
    expect(error.message).toContain('1000 shots × 1 circuit × $0.01');
    const estimate = await failure(() =>
      qpu.estimate({
        circuit: new Circuit(1).h(0).toJSON(),
        observables: [[{ coefficient: 1, paulis: 'X' }]],
        shots: 600,
      }),
    );
    expect(estimate.code).toBe('BUDGET_EXCEEDED');
    expect(emulator.requests.length, 'zero requests reached the emulator').toBe(before);
  });

  it('QPU targets: capabilities per target, actual cost recorded from IonQ', async () => {
    const qpu = backend({ target: 'qpu.aria-1' });
    expect(qpu.capabilities).toMatchObject({ maxQubits: 25, costPerShotUsd: 0.03, queued: true, exact: false });
    const tooWide = await failure(() => qpu.sample({ circuits: [new Circuit(26).h(0).toJSON()], shots: 10 }));
    expect(tooWide.code).toBe('VALIDATION');
    expect(tooWide.message).toMatch(/not enough qubits/);
    const [r] = await qpu.sample({ circuits: [new Circuit(2).h(0).cx(0, 1).toJSON()], shots: 100, seed: 2 });
    expect(Object.values(r?.counts ?? {}).reduce((s, c) => s + c, 0)).toBe(100);
    expect(qpu.usage().estimatedCostUsd).toBeCloseTo(3, 10);
    expect(qpu.usage().actualCostUsd).toBeGreaterThan(0);
  });

  it('cancel: a queued job ends cancelled; a deadline cancels it too', async () => {
    emulator.setTiming({ queueMs: 5000 });
    try {
      const b = backend();
      const job = await b.submit({ circuits: [new Circuit(1).h(0).toJSON()], shots: 10 });
      expect(job.status).toBe('queued');
      await job.cancel();
      expect(job.status).toBe('cancelled');
      expect((await failure(() => job.wait())).code).toBe('JOB_CANCELLED');
      const slow = backend({ timeoutMs: 100 });
      const cancelsBefore = emulator.count(/^PUT .*status\/cancel$/);
      expect((await failure(() => slow.sample({ circuits: [new Circuit(1).h(0).toJSON()], shots: 10 }))).code).toBe(
        'TIMEOUT',
      );
      expect(emulator.count(/^PUT .*status\/cancel$/)).toBe(cancelsBefore + 1);
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 30);
      const aborted = await failure(() =>
        b.sample({ circuits: [new Circuit(1).h(0).toJSON()], shots: 10, signal: controller.signal }),
      );
      expect(aborted.code).toBe('ABORTED');
      // Whether the abort came during the POST or during polling, the job it created is cancelled.
      for (let i = 0; i < 100 && emulator.count(/^PUT .*status\/cancel$/) < cancelsBefore + 2; i++) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      expect(emulator.count(/^PUT .*status\/cancel$/)).toBe(cancelsBefore + 2);
      // An abort while the POST is in flight: the job IonQ created is cancelled once its id is known.
      const early = new AbortController();
      const posting = b.sample({ circuits: [new Circuit(1).h(0).toJSON()], shots: 10, signal: early.signal });
      early.abort();
      expect((await failure(() => posting)).code).toBe('ABORTED');
      for (let i = 0; i < 100 && emulator.count(/^PUT .*status\/cancel$/) < cancelsBefore + 3; i++) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      expect(emulator.count(/^PUT .*status\/cancel$/)).toBe(cancelsBefore + 3);
    } finally {
      emulator.setTiming({ queueMs: 5 });
    }
  });

  it('retrieve resumes a job by id on a new backend object, with the same counts', async () => {
    const first = backend();
    const circuits = [new Circuit(2).h(0).cx(0, 1).toJSON(), new Circuit(3).x(1).h(0).toJSON()];
    const job = await first.submit({ circuits, shots: 300, seed: 42 });
    const direct = await job.wait();
    await first.close();
    const second = backend();
    const resumed = await second.retrieve({ id: job.id });
    expect(await resumed.wait()).toEqual(direct);
    expect((await failure(() => second.retrieve({ id: 'no-such-job' }))).code).toBe('NOT_FOUND');
  });

  it('a failed job rejects with its reason mapped (NotEnoughQubits → VALIDATION, the code and message kept)', async () => {
    const b = backend();
    emulator.injectFault({ kind: 'fail-job', failure: { code: 'NotEnoughQubits', message: 'no room' } });
    const error = (await failure(() =>
      b.sample({ circuits: [new Circuit(1).h(0).toJSON()], shots: 10 }),
    )) as ValidationError;
    expect(error.code).toBe('VALIDATION');
    expect(error.message).toContain('NotEnoughQubits: no room');
  });

  it('rate limits and 5xx are retried transparently', async () => {
    const b = backend({ retryBaseDelayMs: 1, retryMaxDelayMs: 5 });
    emulator.injectFault({ kind: 'status', status: 429, retryAfterSeconds: 0, match: /^POST/ });
    emulator.injectFault({ kind: 'status', status: 503, match: /^GET/, times: 2 });
    const [r] = await b.sample({ circuits: [new Circuit(1).x(0).toJSON()], shots: 5 });
    expect(r?.counts).toEqual({ '1': 5 });
  });

  it('exact estimate and a gradient in ONE multi-circuit job on the ideal simulator', async () => {
    const b = backend();
    expect(b.capabilities.exact).toBe(true);
    const circuit = new Circuit(2).ry(0, 'a').rx(1, 'b').cx(0, 1).toJSON();
    const observables = [
      [{ coefficient: 1, paulis: 'ZZ' }],
      [
        { coefficient: 1, paulis: 'XI' },
        { coefficient: 0.5, paulis: 'IY' },
      ],
    ];
    const parameters = { a: 0.4, b: -0.9 };
    const before = emulator.jobCount;
    const g = await b.gradient({ circuit, observables, parameters });
    expect(emulator.jobCount - before, 'one job for the centre and every shifted circuit').toBe(1);
    const post = jobPosts()[jobPosts().length - 1]?.body as { input: { circuits: unknown[] } };
    // centre + 2 shifts × 2 parameters, times the 2 measurement groups (ZZ; XI+IY).
    expect(post.input.circuits).toHaveLength(5 * 2);
    // ⟨ZZ⟩ = cos a·cos b·… check against finite differences of the exact estimate.
    const h = 1e-5;
    for (const [p, name] of (['a', 'b'] as const).entries()) {
      const plus = await b.estimate({
        circuit,
        observables,
        parameters: { ...parameters, [name]: parameters[name] + h },
      });
      const minus = await b.estimate({
        circuit,
        observables,
        parameters: { ...parameters, [name]: parameters[name] - h },
      });
      for (let o = 0; o < 2; o++) {
        const fd = ((plus.values[o] as number) - (minus.values[o] as number)) / (2 * h);
        expect(Math.abs((g.gradients[o] as number[])[p] as number) - Math.abs(fd)).toBeLessThan(1e-6);
        expect((g.gradients[o] as number[])[p]).toBeCloseTo(fd, 6);
      }
    }
    expect(g.gradients.flat().some((v) => Math.abs(v) > 0.1)).toBe(true);
  });

  it('a shot-based gradient is one job too, on the noisy simulator', async () => {
    const b = backend({ noiseModel: 'aria-1' });
    const before = emulator.jobCount;
    const g = await b.gradient({
      circuit: new Circuit(1).ry(0, 'a').toJSON(),
      observables: [[{ coefficient: 1, paulis: 'Z' }]],
      parameters: { a: 0.8 },
      shots: 4000,
      seed: 5,
    });
    expect(emulator.jobCount - before).toBe(1);
    // d⟨Z⟩/da = −sin a, shrunk slightly by noise; 4000 shots → SE ≈ 0.011 per term.
    expect(Math.abs(((g.gradients[0] as number[])[0] as number) + Math.sin(0.8))).toBeLessThan(0.08);
  });

  it('the key never shows: inspect, JSON, errors of a wrong key', async () => {
    const secret = 'ionq-secret-key-do-not-print-42';
    const b = new IonQBackend({ apiKey: secret, baseUrl: url, pollIntervalMs: 2 });
    expect(inspect(b, { depth: 20, showHidden: true })).not.toContain(secret);
    expect(JSON.stringify(b)).not.toContain(secret);
    const error = await failure(() => b.sample({ circuits: [new Circuit(1).h(0).toJSON()], shots: 1 }));
    expect(error.code).toBe('AUTHENTICATION');
    expect([error.message, error.stack, inspect(error, { depth: 20 })].join('\n')).not.toContain(secret);
  });

  it('bad options and over-limit jobs are typed errors naming the field', async () => {
    expect(() => backend({ target: 'mainframe' })).toThrow(/target/);
    expect(() => backend({ noiseModel: 'wobbly' })).toThrow(/noiseModel/);
    expect(() => backend({ target: 'qpu.forte-1', noiseModel: 'aria-1' })).toThrow(/noiseModel/);
    expect(() => backend({ metadata: { qstore_shots: '1' } })).toThrow(/reserved/);
    expect(() => backend({ metadata: Object.fromEntries([...Array(8)].map((_, i) => [`k${i}`, 'v'])) })).toThrow(
      /metadata/,
    );
    const b = backend();
    const before = emulator.requests.length;
    const tooMany = await failure(() =>
      b.sample({ circuits: Array.from({ length: 5001 }, () => new Circuit(1).h(0).toJSON()), shots: 1 }),
    );
    expect(tooMany.code).toBe('VALIDATION');
    expect(tooMany.message).toContain('5000');
    const shots = await failure(() => b.sample({ circuits: [new Circuit(1).h(0).toJSON()], shots: 1_000_001 }));
    expect((shots as ValidationError).issues[0]?.field).toBe('shots');
    expect(emulator.requests.length).toBe(before);
  });

  it("registers 'ionq' in core's registry: createQuantumBackend({type: 'ionq', ...})", async () => {
    const registry = registerIonQ(new PluginRegistry<QuantumBackend>('quantum backend'));
    const b = (await registry.create({
      type: 'ionq',
      apiKey: KEY,
      baseUrl: url,
      target: 'simulator',
      noiseModel: 'aria-1',
    })) as IonQBackend;
    expect(b).toBeInstanceOf(IonQBackend);
    expect(b.name).toBe('ionq:simulator+aria-1');
    registerIonQ();
    const viaCore = await createQuantumBackend({ type: 'ionq', apiKey: KEY, baseUrl: url, pollIntervalMs: 2 });
    const [r] = await viaCore.sample({ circuits: [new Circuit(1).x(0).toJSON()], shots: 3 });
    expect(r?.counts).toEqual({ '1': 3 });
    expect(() => registerIonQ()).toThrow(/already registered/);
    await viaCore.close();
  });
});
