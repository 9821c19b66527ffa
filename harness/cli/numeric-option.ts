// The parser moved to load/numeric-option.ts (the load generator may import only load/, every other
// command line may import load/). Kept until harness/cli/scenario-args.ts imports it from there.
export * from '../../load/numeric-option.ts';
