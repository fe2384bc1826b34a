// Filled in by the foundation work: starts the real components integration tests need.
export default function setup(): void {}
