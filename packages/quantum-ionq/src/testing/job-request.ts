import { ValidationError } from '@q-store/core';
import { type IonqGate, type IonqGateset, ionqToCircuitJson } from '../ionq-gates.js';
import { IONQ_LIMITS, IONQ_NOISE_MODELS } from '../ionq-limits.js';
import type { SimCircuit, SimGate } from './simulation.js';

/** An error answered with IonQ's body `{statusCode, error, message, validation?}`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    message: string,
    readonly validation?: { keys: string[]; source: string },
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  body(): Record<string, unknown> {
    const b: Record<string, unknown> = { statusCode: this.status, error: this.error, message: this.message };
    if (this.validation) b.validation = this.validation;
    return b;
  }
}

/** A 400 naming the offending keys, as IonQ's BadRequestError does. */
export function badRequest(keys: string[], message: string, source = 'body'): ApiError {
  return new ApiError(400, 'Bad Request', message, { keys, source });
}

export interface BackendInfo {
  backend: string;
  qubits: number;
  /** The noise model a QPU job runs under in the emulator. */
  noiseModel: string;
  nativeGates: readonly string[];
  status: 'available' | 'unavailable' | 'retired';
}

export interface ParsedCircuit {
  name: string | null;
  gateset: IonqGateset;
  /** Gate names used, for the backend's supported gates. */
  gateNames: Set<string>;
  qubits: number;
  sim: SimCircuit;
  oneQubitGates: number;
  multiQubitGates: number;
}

export interface ParsedJob {
  type: 'ionq.circuit.v1' | 'ionq.multi-circuit.v1';
  backend: string;
  shots: number;
  name: string | null;
  metadata: Record<string, string> | null;
  noise: { model: string; seed?: number } | undefined;
  settings: Record<string, unknown>;
  dryRun: boolean;
  sessionId: string | null;
  circuits: ParsedCircuit[];
}

/** The top-level keys of CircuitJobCreationPayload and MultiCircuitJobCreationPayload (the same set). */
const TOP_KEYS = [
  'name',
  'metadata',
  'shots',
  'backend',
  'session_id',
  'settings',
  'dry_run',
  'noise',
  'type',
  'input',
];
const QIS_GATE_KEYS = ['gate', 'target', 'targets', 'controls', 'control', 'rotation'];
const NATIVE_GATE_KEYS = ['gate', 'target', 'targets', 'controls', 'phase', 'phases', 'angle', 'rotation'];
const CIRCUIT_INPUT_KEYS = ['qubits', 'circuit', 'gateset'];
const CHILD_CIRCUIT_KEYS = ['name', 'circuit', 'qubits', 'registers', 'gateset'];
/** In IonQ's enums but not run by the emulator (their shapes are not in the contract). */
const NOT_EMULATED_GATES = ['pauliexp'];

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);

function extraKeys(obj: Record<string, unknown>, allowed: readonly string[], prefix: string): string[] {
  return Object.keys(obj)
    .filter((k) => !allowed.includes(k))
    .map((k) => `${prefix}${k}`);
}

/** Validates a create-job body against the v0.4 contract and the backend's limits. */
export function parseJobRequest(body: unknown, backends: ReadonlyMap<string, BackendInfo>): ParsedJob {
  if (!isObject(body)) throw badRequest([], 'Request body must be a JSON object');
  const type = body.type;
  if (type !== 'ionq.circuit.v1' && type !== 'ionq.multi-circuit.v1') {
    const known = ['ionq.qasm3.v1', 'quantum-function', 'qctrl.qaoa.v1'];
    throw badRequest(
      ['type'],
      known.includes(String(type))
        ? `"type" '${String(type)}' is not emulated (the emulator runs ionq.circuit.v1 and ionq.multi-circuit.v1)`
        : `"type" must be one of [ionq.circuit.v1, ionq.multi-circuit.v1, ionq.qasm3.v1, quantum-function, qctrl.qaoa.v1], got ${JSON.stringify(type)}`,
    );
  }
  const extra = extraKeys(body, TOP_KEYS, '');
  if (extra.length > 0) throw badRequest(extra, `"${extra[0]}" is not allowed`);

  if (typeof body.backend !== 'string') throw badRequest(['backend'], '"backend" is required and must be a string');
  const backend = backends.get(body.backend);
  if (!backend) {
    throw badRequest(
      ['backend'],
      `"backend" '${body.backend}' is not a known backend (${[...backends.keys()].join(', ')})`,
    );
  }
  if (backend.status !== 'available') {
    throw badRequest(['backend'], `backend '${backend.backend}' is ${backend.status} and does not accept jobs`);
  }

  const shots = body.shots ?? IONQ_LIMITS.defaultShots;
  if (!isInt(shots) || shots < IONQ_LIMITS.minShots || shots > IONQ_LIMITS.maxShots) {
    throw badRequest(
      ['shots'],
      `"shots" must be an integer from ${IONQ_LIMITS.minShots} to ${IONQ_LIMITS.maxShots}, got ${JSON.stringify(body.shots)}`,
    );
  }
  if (body.name !== undefined && typeof body.name !== 'string') throw badRequest(['name'], '"name" must be a string');
  const metadata = parseMetadata(body.metadata);
  const noise = parseNoise(body.noise, backend);
  const settings = parseSettings(body.settings, shots);
  if (body.dry_run !== undefined && typeof body.dry_run !== 'boolean') {
    throw badRequest(['dry_run'], '"dry_run" must be a boolean');
  }
  if (body.session_id !== undefined && typeof body.session_id !== 'string') {
    throw badRequest(['session_id'], '"session_id" must be a string');
  }
  if (!isObject(body.input)) throw badRequest(['input'], '"input" is required and must be an object');
  const circuits = type === 'ionq.circuit.v1' ? [parseSingleInput(body.input)] : parseMultiInput(body.input);
  for (const [i, c] of circuits.entries()) {
    const field = type === 'ionq.circuit.v1' ? 'input' : `input.circuits[${i}]`;
    if (c.gateset === 'native') {
      for (const g of c.gateNames) {
        if (g !== 'nop' && !backend.nativeGates.includes(g)) {
          throw badRequest(
            [`${field}.circuit`],
            `native gate '${g}' is not supported by ${backend.backend} (${backend.nativeGates.join(', ')})`,
          );
        }
      }
    }
    if (c.qubits > backend.qubits) {
      const key = type === 'ionq.circuit.v1' ? 'input.qubits' : `input.circuits[${i}].qubits`;
      throw badRequest(
        [key],
        `too many qubits: "${key}" is ${c.qubits}, backend ${backend.backend} has ${backend.qubits}`,
      );
    }
  }
  return {
    type,
    backend: backend.backend,
    shots,
    name: (body.name as string | undefined) ?? null,
    metadata,
    noise,
    settings,
    dryRun: body.dry_run === true,
    sessionId: (body.session_id as string | undefined) ?? null,
    circuits,
  };
}

function parseMetadata(raw: unknown): Record<string, string> | null {
  if (raw === undefined || raw === null) return null;
  if (!isObject(raw)) throw badRequest(['metadata'], '"metadata" must be an object of strings');
  const entries = Object.entries(raw);
  if (entries.length > IONQ_LIMITS.maxMetadataKeys) {
    throw badRequest(
      ['metadata'],
      `"metadata" may have at most ${IONQ_LIMITS.maxMetadataKeys} keys, got ${entries.length}`,
    );
  }
  for (const [k, v] of entries) {
    if (k.length > IONQ_LIMITS.maxMetadataKeyLength) {
      throw badRequest(
        [`metadata.${k}`],
        `metadata key names may be at most ${IONQ_LIMITS.maxMetadataKeyLength} characters, got ${k.length}`,
      );
    }
    if (typeof v !== 'string') throw badRequest([`metadata.${k}`], `"metadata.${k}" must be a string`);
    if (v.length > IONQ_LIMITS.maxMetadataValueLength) {
      throw badRequest(
        [`metadata.${k}`],
        `"metadata.${k}" may be at most ${IONQ_LIMITS.maxMetadataValueLength} characters, got ${v.length}`,
      );
    }
  }
  return { ...(raw as Record<string, string>) };
}

function parseNoise(raw: unknown, backend: BackendInfo): { model: string; seed?: number } | undefined {
  if (raw === undefined) return undefined;
  if (!isObject(raw)) throw badRequest(['noise'], '"noise" must be an object');
  const extra = extraKeys(raw, ['model', 'seed'], 'noise.');
  if (extra.length > 0) throw badRequest(extra, `"${extra[0]}" is not allowed`);
  if (typeof raw.model !== 'string' || !IONQ_NOISE_MODELS.includes(raw.model)) {
    throw badRequest(
      ['noise.model'],
      `"noise.model" must be one of [${IONQ_NOISE_MODELS.join(', ')}], got ${JSON.stringify(raw.model)}`,
    );
  }
  if (raw.seed !== undefined && !(isInt(raw.seed) && raw.seed >= -(2 ** 31) && raw.seed < 2 ** 31)) {
    throw badRequest(['noise.seed'], '"noise.seed" must be a 32-bit integer');
  }
  if (backend.backend !== 'simulator') {
    throw badRequest(['noise'], `"noise" applies to the simulator backend only, not ${backend.backend}`);
  }
  return raw.seed === undefined ? { model: raw.model } : { model: raw.model, seed: raw.seed };
}

function parseSettings(raw: unknown, shots: number): Record<string, unknown> {
  if (raw === undefined) return {};
  if (!isObject(raw)) throw badRequest(['settings'], '"settings" must be an object');
  const extra = extraKeys(raw, ['error_mitigation', 'compilation'], 'settings.');
  if (extra.length > 0) throw badRequest(extra, `"${extra[0]}" is not allowed`);
  const em = raw.error_mitigation;
  if (em !== undefined) {
    if (!isObject(em)) throw badRequest(['settings.error_mitigation'], '"settings.error_mitigation" must be an object');
    for (const k of Object.keys(em)) {
      if (k !== 'debiasing' && k !== 'symmetry_verification') {
        throw badRequest([`settings.error_mitigation.${k}`], `"settings.error_mitigation.${k}" is not allowed`);
      }
      if (typeof em[k] !== 'boolean') {
        throw badRequest([`settings.error_mitigation.${k}`], `"settings.error_mitigation.${k}" must be a boolean`);
      }
    }
    if (em.debiasing === true && shots < IONQ_LIMITS.minDebiasingShots) {
      throw badRequest(
        ['settings.error_mitigation.debiasing', 'shots'],
        `debiasing needs at least ${IONQ_LIMITS.minDebiasingShots} shots, got ${shots}`,
      );
    }
  }
  const comp = raw.compilation;
  if (comp !== undefined) {
    if (!isObject(comp)) throw badRequest(['settings.compilation'], '"settings.compilation" must be an object');
    const types: Record<string, string> = { gate_basis: 'string', precision: 'string', opt: 'number' };
    for (const [k, v] of Object.entries(comp)) {
      if (types[k] === undefined)
        throw badRequest([`settings.compilation.${k}`], `"settings.compilation.${k}" is not allowed`);
      if (typeof v !== types[k]) {
        throw badRequest([`settings.compilation.${k}`], `"settings.compilation.${k}" must be a ${types[k]}`);
      }
    }
  }
  return raw;
}

function parseSingleInput(input: Record<string, unknown>): ParsedCircuit {
  if ('circuits' in input) {
    throw badRequest(['input.circuits'], '"input.circuits" needs type ionq.multi-circuit.v1');
  }
  const extra = extraKeys(input, CIRCUIT_INPUT_KEYS, 'input.');
  if (extra.length > 0) throw badRequest(extra, `"${extra[0]}" is not allowed`);
  const gateset = parseGateset(input.gateset, 'input.gateset', true) as IonqGateset;
  return parseCircuit(input.circuit, input.qubits, gateset, 'input', null);
}

function parseMultiInput(input: Record<string, unknown>): ParsedCircuit[] {
  if ('circuit' in input) {
    throw badRequest(
      ['input.circuit'],
      '"input.circuit" is not allowed alongside input.circuits; use one or the other',
    );
  }
  const parentGateset = parseGateset(input.gateset, 'input.gateset', true) as IonqGateset;
  if (input.qubits !== undefined && !(isInt(input.qubits) && input.qubits >= 1)) {
    throw badRequest(['input.qubits'], '"input.qubits" must be an integer ≥ 1');
  }
  const list = input.circuits;
  if (!Array.isArray(list) || list.length === 0) {
    throw badRequest(['input.circuits'], '"input.circuits" must be a non-empty array');
  }
  if (list.length > IONQ_LIMITS.maxCircuitsPerJob) {
    throw badRequest(
      ['input.circuits'],
      `a multi-circuit job may contain at most ${IONQ_LIMITS.maxCircuitsPerJob} circuits, got ${list.length}`,
    );
  }
  let gates = 0;
  for (const c of list) if (isObject(c) && Array.isArray(c.circuit)) gates += c.circuit.length;
  if (gates > IONQ_LIMITS.maxGatesPerJob) {
    throw badRequest(
      ['input.circuits'],
      `a multi-circuit job may contain at most ${IONQ_LIMITS.maxGatesPerJob} gates in total, got ${gates}`,
    );
  }
  return list.map((c, i) => {
    const field = `input.circuits[${i}]`;
    if (!isObject(c)) throw badRequest([field], `"${field}" must be an object`);
    const extra = extraKeys(c, CHILD_CIRCUIT_KEYS, `${field}.`);
    if (extra.length > 0) throw badRequest(extra, `"${extra[0]}" is not allowed`);
    if (c.name !== undefined && typeof c.name !== 'string')
      throw badRequest([`${field}.name`], `"${field}.name" must be a string`);
    if (c.registers !== undefined && !isObject(c.registers)) {
      throw badRequest([`${field}.registers`], `"${field}.registers" must be an object of qubit lists`);
    }
    const gateset = (parseGateset(c.gateset, `${field}.gateset`, false) ?? parentGateset) as IonqGateset;
    return parseCircuit(c.circuit, c.qubits ?? input.qubits, gateset, field, (c.name as string | undefined) ?? null);
  });
}

function parseGateset(raw: unknown, key: string, required: boolean): IonqGateset | undefined {
  if (raw === undefined && !required) return undefined;
  if (raw !== 'qis' && raw !== 'native') throw badRequest([key], `"${key}" must be one of [qis, native]`);
  return raw;
}

/** One circuit's gates: shape per the contract, then IonQ's gate semantics via ionqToCircuitJson. */
export function parseCircuit(
  rawGates: unknown,
  rawQubits: unknown,
  gateset: IonqGateset,
  field: string,
  name: string | null,
): ParsedCircuit {
  if (!Array.isArray(rawGates)) throw badRequest([`${field}.circuit`], `"${field}.circuit" must be an array of gates`);
  const allowedKeys = gateset === 'qis' ? QIS_GATE_KEYS : NATIVE_GATE_KEYS;
  let maxIndex = -1;
  rawGates.forEach((g, i) => {
    const f = `${field}.circuit[${i}]`;
    if (!isObject(g)) throw badRequest([f], `"${f}" must be a gate object`);
    const extra = extraKeys(g, allowedKeys, `${f}.`);
    if (extra.length > 0) throw badRequest(extra, `"${extra[0]}" is not allowed for the ${gateset} gateset`);
    if (NOT_EMULATED_GATES.includes(String(g.gate))) {
      throw badRequest([`${f}.gate`], `gate '${String(g.gate)}' is not emulated`);
    }
    if (gateset === 'native' && (g.control !== undefined || (Array.isArray(g.controls) && g.controls.length > 0))) {
      throw badRequest([`${f}.controls`], `native gate '${String(g.gate)}' takes no controls`);
    }
    for (const k of ['target', 'control'] as const) {
      if (g[k] !== undefined) {
        if (!isInt(g[k]) || (g[k] as number) < 0)
          throw badRequest([`${f}.${k}`], `"${f}.${k}" must be a qubit index ≥ 0`);
        maxIndex = Math.max(maxIndex, g[k] as number);
      }
    }
    for (const k of ['targets', 'controls'] as const) {
      if (g[k] !== undefined) {
        const list = g[k];
        if (!Array.isArray(list) || !list.every((q) => isInt(q) && q >= 0)) {
          throw badRequest([`${f}.${k}`], `"${f}.${k}" must be a list of qubit indices ≥ 0`);
        }
        for (const q of list as number[]) maxIndex = Math.max(maxIndex, q);
      }
    }
  });
  let qubits: number;
  if (rawQubits === undefined) qubits = Math.max(1, maxIndex + 1);
  else if (isInt(rawQubits) && rawQubits >= 1) qubits = rawQubits;
  else throw badRequest([`${field}.qubits`], `"${field}.qubits" must be an integer ≥ 1`);
  if (maxIndex >= qubits) {
    throw badRequest(
      [`${field}.qubits`],
      `a gate acts on qubit ${maxIndex}, outside the circuit's ${qubits} qubits (0..${qubits - 1})`,
    );
  }
  const gates: SimGate[] = [];
  let oneQubitGates = 0;
  let multiQubitGates = 0;
  (rawGates as IonqGate[]).forEach((g, i) => {
    if (gateset === 'native' && g.gate === 'nop') return; // IonQ's timing no-op
    let ops: ReturnType<typeof ionqToCircuitJson>['operations'];
    try {
      ops = ionqToCircuitJson({ gateset, qubits, circuit: [g] }, field).operations;
    } catch (error) {
      if (error instanceof ValidationError) {
        const keys = error.issues.map((issue) => issue.field.replace(`${field}.circuit[0]`, `${field}.circuit[${i}]`));
        const message = error.issues
          .map((issue) => `"${issue.field.replace(`${field}.circuit[0]`, `${field}.circuit[${i}]`)}" ${issue.message}`)
          .join('; ');
        throw badRequest(keys, message);
      }
      throw error;
    }
    const touched = [...new Set(ops.flatMap((o) => o.qubits))];
    if (touched.length === 1) oneQubitGates++;
    else multiQubitGates++;
    gates.push({ ops, qubits: touched });
  });
  const gateNames = new Set((rawGates as IonqGate[]).map((g) => g.gate));
  return { name, gateset, gateNames, qubits, sim: { numQubits: qubits, gates }, oneQubitGates, multiQubitGates };
}
