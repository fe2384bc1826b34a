// Placeholder, replaced by the benchmark.
export {};
