import { useShallow } from 'zustand/react/shallow';
import { useTrainStore } from '../../state/trainStore';

function duration(s: number): string {
  if (!Number.isFinite(s)) return '—';
  if (s < 90) return `${Math.round(s)} s`;
  if (s < 5400) return `${Math.round(s / 60)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}

/**
 * Streamed runs: which files stream in which role, where the training stream is (epoch,
 * position, entries/s, MB/s, ETA of the epoch, share of time waiting for data), a batch that
 * could not be read (skip the entry and continue), and the test file's one-pass evaluation.
 */
export function StreamStatus() {
  const s = useTrainStore(
    useShallow((x) => ({
      info: x.streamInfo,
      p: x.streamProgress,
      dataError: x.dataError,
      testEval: x.testEval,
      state: x.state,
      skip: x.skipEntryAndContinue,
      evaluateTest: x.evaluateTest,
    })),
  );
  if (!s.info) return null;
  const { info, p } = s;
  const idle = s.state === 'ready' || s.state === 'paused';
  return (
    <div className="stream-status" data-testid="stream-status">
      <div className="status">
        <span>
          streaming train <b>{info.train}</b>
          {info.epochSizes.train !== undefined ? ` (${info.epochSizes.train} per epoch)` : ''}
        </span>
        <span>
          validation <b>{info.validation}</b>
          {info.epochSizes.validation !== undefined ? ` (${info.epochSizes.validation} per evaluation)` : ''}
        </span>
        {info.test && (
          <span>
            test <b>{info.test}</b>
            {info.epochSizes.test !== undefined ? ` (${info.epochSizes.test})` : ''}
          </span>
        )}
      </div>
      {p && (
        <div className="status" data-testid="stream-progress">
          <span>
            epoch <b data-testid="stream-epoch">{p.stats.epoch + 1}</b>
          </span>
          <span>
            <b data-testid="stream-position">{p.stats.position}</b> / {p.stats.epochSize}
          </span>
          <span>
            <b data-testid="stream-rate">{p.entriesPerS.toFixed(1)}</b> entries/s
          </span>
          <span>{p.mbPerS.toFixed(2)} MB/s read</span>
          <span>epoch ETA {duration(p.etaEpochS)}</span>
          <span title="share of each step spent waiting for data: near 100% the run is input-bound, near 0% GPU-bound">
            waiting for data <b data-testid="stream-input-fraction">{Math.round(100 * p.inputFraction)}%</b>
          </span>
          {p.stats.skippedEntries > 0 && (
            <span>
              skipped entries: <b data-testid="stream-skipped">{p.stats.skippedEntries}</b>
            </span>
          )}
        </div>
      )}
      {s.dataError && (
        <div className="banner error" role="alert" data-testid="stream-data-error">
          <span>{s.dataError.message}</span>{' '}
          {s.dataError.entry !== null && (
            <button disabled={!idle} onClick={s.skip} data-testid="btn-skip-entry">
              skip this entry and continue
            </button>
          )}
        </div>
      )}
      {info.test && (
        <div className="status">
          <button disabled={!idle} onClick={s.evaluateTest} data-testid="btn-evaluate-test">
            Evaluate on test file
          </button>
          {s.testEval && (
            <span data-testid="test-file-metrics">
              {info.test} at step {s.testEval.step}:{' '}
              {Object.entries(s.testEval.result.scalars).map(([k, v]) => (
                <span key={k}>
                  {k} <b data-testid={`test-file-${k}`}>{Number.isFinite(v) ? v.toPrecision(4) : String(v)}</b>{' '}
                </span>
              ))}
            </span>
          )}
        </div>
      )}
    </div>
  );
}
