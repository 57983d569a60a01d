// @q-store/ml-training — public API (each module adds its own export lines).
