// The peer simulators used by tests and the bench ship no types; they are cast to local interfaces.
declare module 'jsqubits';
declare module 'quantum-circuit';
