import { Circuit } from '@q-store/core';
import { describe, expect, it } from 'vitest';
import { openQuantumChoice, QUANTUM_CHOICES } from '../choices.js';

describe('--quantum ionq', () => {
  it.skipIf(process.env.IONQ_API_KEY !== undefined)(
    'opens the IonQ backend from the seed config on a local emulator, and closes both',
    async () => {
      expect(Object.keys(QUANTUM_CHOICES)).toContain('ionq');
      const lines: string[] = [];
      const quantum = await openQuantumChoice('ionq', { seed: 1, print: (l) => lines.push(l) });
      expect(quantum.backend.type).toBe('ionq');
      expect(quantum.description).toMatch(/IonQ simulator, noise model ideal, on the local IonQ emulator/);
      const [r] = await quantum.backend.sample({ circuits: [new Circuit(3).x(0).toJSON()], shots: 10, seed: 1 });
      expect(r?.counts).toEqual({ '001': 10 });
      await quantum.close();
      expect(lines.at(-1)).toMatch(/^ionq: 1 jobs, 1 circuits, \d+ HTTP requests$/);
    },
  );
});
