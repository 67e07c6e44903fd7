/**
 * Turn-taking for work that must not overlap (onnxruntime runs one model at a time in a worker): a task given to
 * `turns` starts once every task given before it has settled, whether it resolved or rejected.
 */
export type Turns = <T>(task: () => Promise<T>) => Promise<T>;

export function createTurns(): Turns {
  let last: Promise<unknown> = Promise.resolve();
  return <T>(task: () => Promise<T>): Promise<T> => {
    const result = last.then(task, task);
    last = result.catch(() => undefined);
    return result;
  };
}
