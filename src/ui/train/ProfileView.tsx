import { useEffect, useState } from 'react';
import { sendToWorker, useTrainStore, workerListeners } from '../../state/trainStore';
import type { FromWorker } from '../../train/protocol';

/** The worker's plain profile data (the page takes the type from the protocol, not src/gpu). */
type StepProfile = Extract<FromWorker, { type: 'profiled' }>['profile'];

const SHOWN = 12;
const fixed = (x: number | null, d = 2) => (x === null ? '–' : x >= 100 ? x.toFixed(0) : x.toFixed(d));

/**
 * "Profile step": runs one training step in the worker with GPU timestamps around every
 * dispatch and shows where its time went, kernel by kernel, with achieved GFLOP/s and GB/s
 * where the kernel reports its work (matmul) and the share of the adapter's peak where known.
 */
export function ProfileView() {
  const state = useTrainStore((s) => s.state);
  const [profile, setProfile] = useState<StepProfile | null>(null);
  const [waiting, setWaiting] = useState(false);
  useEffect(() => {
    const listen = (msg: FromWorker) => {
      if (msg.type === 'profiled') {
        setProfile(msg.profile);
        setWaiting(false);
      } else if (msg.type === 'error') {
        setWaiting(false);
      }
    };
    workerListeners.add(listen);
    return () => {
      workerListeners.delete(listen);
    };
  }, []);
  const canProfile = (state === 'ready' || state === 'paused') && !waiting;
  const total = profile?.gpuMs ?? null;
  return (
    <div className="profile-view" data-testid="profile-view">
      <button
        type="button"
        disabled={!canProfile}
        data-testid="btn-profile-step"
        title="Runs one training step with a GPU timestamp around every kernel"
        onClick={() => {
          setWaiting(true);
          sendToWorker({ type: 'profile' });
        }}
      >
        Profile step
      </button>
      {waiting && <span className="muted"> profiling one step…</span>}
      {profile && (
        <div data-testid="profile-result">
          <p className="muted">
            {profile.dispatches} dispatches;{' '}
            {profile.timer === 'timestamp'
              ? `GPU ${fixed(total)} ms of kernels, ${fixed(profile.wallMs)} ms wall (each kernel in a timed pass of its own)`
              : 'this device has no timestamp-query: calls only'}
            ; {profile.peak ? `peak: ${profile.peak.source}` : 'peak of this adapter unknown'}
          </p>
          <table className="profile-table">
            <thead>
              <tr>
                <th>kernel</th>
                <th>calls</th>
                <th>GPU ms</th>
                <th>%</th>
                <th>GFLOP/s</th>
                <th>GB/s</th>
                <th>% of peak</th>
              </tr>
            </thead>
            <tbody>
              {profile.kernels.slice(0, SHOWN).map((k) => (
                <tr key={k.kernel}>
                  <td>
                    <code>{k.kernel}</code>
                  </td>
                  <td>{k.calls}</td>
                  <td>{fixed(k.ms, 3)}</td>
                  <td>{k.ms !== null && total ? ((100 * k.ms) / total).toFixed(1) : '–'}</td>
                  <td>{fixed(k.gflops)}</td>
                  <td>{fixed(k.gbps)}</td>
                  <td>{k.gflops !== null && profile.peak ? ((100 * k.gflops) / profile.peak.gflops).toFixed(1) : '–'}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {profile.kernels.length > SHOWN && <p className="muted">… and {profile.kernels.length - SHOWN} more kernels</p>}
        </div>
      )}
    </div>
  );
}
