/**
 * Pauli-sum observables: O = Σ_k c_k · P_k, each P_k a tensor product of I, X, Y, Z.
 *
 * A Pauli string is written with **qubit 0 as its rightmost character** and is exactly `numQubits`
 * characters long: on three qubits `'ZIX'` is Z on qubit 2 and X on qubit 0 (the same order as
 * the bitstrings in `counts`, and as Qiskit's `SparsePauliOp`).
 */

import { IssueCollector } from '../shared/errors.js';
import { isPlainObject } from '../vector/validation.js';
import type { Observable, PauliTerm } from './quantum-backend.js';

const PAULI_STRING = /^[IXYZ]+$/;

/** One term `coefficient · paulis`; throws a ValidationError on a malformed string or coefficient. */
export function pauli(paulis: string, coefficient = 1): PauliTerm {
  const term = { coefficient, paulis };
  validateObservable([term], paulis.length, 'term');
  return term;
}

/**
 * Checks a list of observables against a circuit width and returns copies: each observable is a
 * non-empty array of terms, each term a finite `coefficient` and a `paulis` string of exactly
 * `numQubits` characters from `IXYZ`. Every problem is listed in one ValidationError.
 */
export function validateObservables(observables: unknown, numQubits: number, field = 'observables'): Observable[] {
  const issues = new IssueCollector();
  if (!Array.isArray(observables) || observables.length === 0) {
    issues.add(field, 'must be a non-empty array of observables (arrays of Pauli terms)');
    issues.throwIfAny('Invalid observables');
    return [];
  }
  const out = observables.map((o, i) => collectObservable(o, numQubits, `${field}[${i}]`, issues));
  issues.throwIfAny('Invalid observables');
  return out;
}

/** {@link validateObservables} for one observable. */
export function validateObservable(observable: unknown, numQubits: number, field = 'observable'): Observable {
  const issues = new IssueCollector();
  const out = collectObservable(observable, numQubits, field, issues);
  issues.throwIfAny('Invalid observable');
  return out;
}

function collectObservable(observable: unknown, numQubits: number, field: string, issues: IssueCollector): Observable {
  if (!Array.isArray(observable) || observable.length === 0) {
    issues.add(field, 'must be a non-empty array of Pauli terms {coefficient, paulis}');
    return [];
  }
  const out: Observable = [];
  observable.forEach((term: unknown, j) => {
    const f = `${field}[${j}]`;
    if (!isPlainObject(term)) {
      issues.add(f, 'must be an object {coefficient, paulis}');
      return;
    }
    const { coefficient, paulis } = term;
    let ok = true;
    if (typeof coefficient !== 'number' || !Number.isFinite(coefficient)) {
      issues.add(`${f}.coefficient`, `must be a finite number, got ${String(coefficient)}`);
      ok = false;
    }
    if (typeof paulis !== 'string' || !PAULI_STRING.test(paulis)) {
      issues.add(`${f}.paulis`, `must be a string of I, X, Y, Z (qubit 0 rightmost), got ${JSON.stringify(paulis)}`);
      ok = false;
    } else if (paulis.length !== numQubits) {
      issues.add(
        `${f}.paulis`,
        `'${paulis}' has ${paulis.length} characters; it must have one per qubit (${numQubits})`,
        numQubits,
      );
      ok = false;
    }
    if (ok) out.push({ coefficient: coefficient as number, paulis: paulis as string });
  });
  return out;
}

/** The Pauli acting on `qubit` in a term's string ('I' when the qubit is outside it). */
export function pauliAt(paulis: string, qubit: number): 'I' | 'X' | 'Y' | 'Z' {
  const ch = paulis[paulis.length - 1 - qubit];
  return ch === 'X' || ch === 'Y' || ch === 'Z' ? ch : 'I';
}

const TERM = /^\s*([+-])?\s*(?:((?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)\s*\*?\s*)?([IXYZ]+)\s*/;

/**
 * Parses text such as `'0.5*ZZ + 0.3*XI - YY'` (optional coefficient before each Pauli string,
 * `*` optional) into an observable on `numQubits` qubits (default: the first string's length).
 */
export function observableFromString(text: string, numQubits?: number): Observable {
  const issues = new IssueCollector();
  const terms: PauliTerm[] = [];
  let rest = text.trim();
  let first = true;
  while (rest.length > 0) {
    const m = TERM.exec(rest);
    if (!m || (!first && m[1] === undefined)) {
      issues.add('observable', `cannot parse '${rest}': expected [±][coefficient*]PAULIS`);
      break;
    }
    const sign = m[1] === '-' ? -1 : 1;
    const coefficient = sign * (m[2] === undefined ? 1 : Number(m[2]));
    terms.push({ coefficient, paulis: m[3] as string });
    rest = rest.slice(m[0].length);
    first = false;
  }
  if (terms.length === 0 && issues.issues.length === 0) issues.add('observable', 'is empty');
  issues.throwIfAny('Invalid observable');
  return validateObservable(terms, numQubits ?? (terms[0] as PauliTerm).paulis.length);
}
