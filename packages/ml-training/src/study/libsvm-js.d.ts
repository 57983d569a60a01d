declare module 'libsvm-js/wasm' {
  interface SvmOptions {
    type?: string;
    kernel?: string;
    gamma?: number;
    cost?: number;
    tolerance?: number;
    shrinking?: boolean;
    probabilityEstimates?: boolean;
    quiet?: boolean;
  }
  interface ProbabilityPrediction {
    prediction: number;
    estimates: Array<{ label: number; probability: number }>;
  }
  class SVM {
    constructor(options: SvmOptions);
    train(samples: ArrayLike<number>[], labels: number[]): void;
    predict(samples: ArrayLike<number>[]): number[];
    predictProbability(samples: ArrayLike<number>[]): ProbabilityPrediction[];
    getSVIndices(): number[];
    free(): void;
    static SVM_TYPES: { C_SVC: string };
    static KERNEL_TYPES: { RBF: string; PRECOMPUTED: string };
  }
  const loaded: Promise<typeof SVM>;
  export = loaded;
}
