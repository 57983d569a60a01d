/**
 * Small OpenQASM 2.0 programs with known outputs, used by the quantum conformance kit and by
 * core's QASM tests. Each one exercises a different part of the language (user gate definitions,
 * register broadcast, barriers, measurement, comments, an include before the header).
 */

/**
 * Deferred-measurement teleportation of qubit 0 (prepared as u3(1.2, 0.4, 0)|0⟩, Bloch vector
 * (sin 1.2·cos 0.4, sin 1.2·sin 0.4, cos 1.2)) onto qubit 2: the classically controlled X and Z
 * corrections become cx and cz from the would-be measured qubits, so the program is unitary up to
 * its final measurements.
 */
export const TELEPORTATION_QASM = `// Teleportation, deferred-measurement form.
include "qelib1.inc"; // an include before the header is accepted
OPENQASM 2.0;
qreg q[3];
creg c[3];
u3(1.2, 0.4, 0) q[0];      // the state to send
h q[1];
cx q[1], q[2];             // Bell pair between q[1] and q[2]
barrier q;
cx q[0], q[1];
h q[0];
cx q[1], q[2];             // X correction, controlled by the would-be measurement of q[1]
cz q[0], q[2];             // Z correction, controlled by q[0]
measure q -> c;
`;

/**
 * A 4-bit ripple-carry adder in the majority/unmajority form (Cuccaro et al., 2004). Registers in
 * declaration order: cin[1] (qubit 0, an ancilla left at 0), a[4] (qubits 1–4), b[4] (qubits 5–8),
 * cout[1] (qubit 9). It maps |a, b, 0⟩ to |a, (a + b) mod 16, carry⟩; the sum is measured.
 */
export const RIPPLE_ADDER_QASM = `OPENQASM 2.0;
include "qelib1.inc";
// majority: c ← maj(a, b, c), leaving a ⊕ c and b ⊕ c behind
gate majority x, y, z {
  cx z, y;
  cx z, x;
  ccx x, y, z;
}
// unmajority-and-add: undoes majority and writes the sum bit into y
gate unmaj x, y, z {
  ccx x, y, z;
  cx z, x;
  cx x, y;
}
qreg cin[1];
qreg a[4];
qreg b[4];
qreg cout[1];
creg sum[5];
majority cin[0], b[0], a[0];
majority a[0], b[1], a[1];
majority a[1], b[2], a[2];
majority a[2], b[3], a[3];
cx a[3], cout[0];
unmaj a[2], b[3], a[3];
unmaj a[1], b[2], a[2];
unmaj a[0], b[1], a[1];
unmaj cin[0], b[0], a[0];
measure b[0] -> sum[0];
measure b[1] -> sum[1];
measure b[2] -> sum[2];
measure b[3] -> sum[3];
measure cout[0] -> sum[4];
`;

/**
 * Grover search over 3 qubits for |101⟩ (qubit 2 = 1, qubit 1 = 0, qubit 0 = 1), two iterations:
 * the marked item is measured with probability sin²(5·asin(1/√8)) ≈ 0.9453, every other item with
 * (1 − that)/7.
 */
export const GROVER_QASM = `OPENQASM 2.0;
include "qelib1.inc";
gate ccz a, b, c { h c; ccx a, b, c; h c; }
// phase −1 on |101⟩
gate oracle a, b, c { x b; ccz a, b, c; x b; }
// inversion about the mean
gate diffuse a, b, c { h a; h b; h c; x a; x b; x c; ccz a, b, c; x a; x b; x c; h a; h b; h c; }
qreg q[3];
creg m[3];
h q;
oracle q[0], q[1], q[2];
diffuse q[0], q[1], q[2];
oracle q[0], q[1], q[2];
diffuse q[0], q[1], q[2];
measure q -> m;
`;

/** The 3-qubit quantum Fourier transform of |5⟩ followed by its inverse (written out), measured. */
export const QFT_ROUNDTRIP_QASM = `OPENQASM 2.0;
include "qelib1.inc";
gate qft3 a, b, c {
  h c; cu1(pi/2) b, c; cu1(pi/4) a, c;
  h b; cu1(pi/2) a, b;
  h a;
  swap a, c;
}
gate iqft3 a, b, c {
  swap a, c;
  h a;
  cu1(-pi/2) a, b; h b;
  cu1(-pi/4) a, c; cu1(-pi/2) b, c; h c;
}
qreg q[3];
creg c[3];
x q[0];
x q[2];
qft3 q[0], q[1], q[2];
barrier q;
iqft3 q[0], q[1], q[2];
measure q -> c;
`;
