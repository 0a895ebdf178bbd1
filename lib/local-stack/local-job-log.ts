/**
 * The jobs the local stack ran (backups, retention runs), newest first, for the web view's job table. Restore jobs
 * and drills live in the restore job store; this log covers what the local schedulers did themselves.
 */
import type { JobView } from '../web-view/cluster-view.ts';

const KEEP = 50;

export class LocalJobLog {
  readonly #jobs: JobView[] = [];
  #sequence = 0;

  /** Records a job as running and returns the function that records how it ended. */
  begin(kind: string, startedAt: Date): (status: string, finishedAt: Date, detail?: string) => void {
    const id = `local-${kind}-${++this.#sequence}`;
    const running: JobView = { id, kind, status: 'running', startedAt: startedAt.toISOString() };
    this.#jobs.unshift(running);
    if (this.#jobs.length > KEEP) this.#jobs.length = KEEP;
    return (status, finishedAt, detail) => {
      const index = this.#jobs.findIndex((job) => job.id === id);
      const ended: JobView = {
        ...running,
        status,
        finishedAt: finishedAt.toISOString(),
        ...(detail === undefined ? {} : { detail }),
      };
      if (index >= 0) this.#jobs[index] = ended;
    };
  }

  list(): readonly JobView[] {
    return [...this.#jobs];
  }
}
