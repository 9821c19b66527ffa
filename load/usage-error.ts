// Lives in load/ because every command line may import it from here: the load generator may import
// only its own files, and the harness's and the bench's command lines may import load/.

/** A command line the program cannot honour: printed with the usage, exit code 2, never a stack trace. */
export class UsageError extends Error {
  override readonly name: string = 'UsageError';
}
