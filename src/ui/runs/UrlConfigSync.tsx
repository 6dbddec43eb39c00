import { useEffect } from 'react';
import { decodeRunHash, encodeRunHash } from '../../runs/urlConfig';
import { useRunsStore } from '../../state/runsStore';
import { useTrainStore } from '../../state/trainStore';
import { TASK_CATALOG } from '../../tasks/catalog';
import { applyRun, runFromState } from '../train/RunConfigBar';

/** Keeps the task and its options in the URL hash: a link opens the same setup. */
export function UrlConfigSync() {
  useEffect(() => {
    const fromHash = () => {
      const t = useTrainStore.getState();
      if (t.state === 'running' || t.state === 'creating') return;
      try {
        const rc = decodeRunHash(location.hash, TASK_CATALOG);
        if (rc) applyRun(rc);
      } catch (err) {
        useRunsStore.setState({ message: { kind: 'error', text: (err as Error).message } });
      }
    };
    fromHash();
    // An edited or pasted link applies at once (our own replaceState fires no hashchange).
    window.addEventListener('hashchange', fromHash);
    let last = '';
    const stop = useTrainStore.subscribe((s) => {
      const hash = encodeRunHash(runFromState(s), TASK_CATALOG);
      if (hash !== last && hash !== location.hash) history.replaceState(null, '', hash || location.pathname + location.search);
      last = hash;
    });
    return () => {
      stop();
      window.removeEventListener('hashchange', fromHash);
    };
  }, []);
  return null;
}
