import { useDataStore, type LoadedFile, type Role } from '../../state/dataStore';

const ROLES: Role[] = ['train', 'validation', 'test'];

/** The per-file role selector of streamed training (one file per role). */
export function RoleSelect({ f }: { f: LoadedFile }) {
  const setRole = useDataStore((s) => s.setRole);
  return (
    <select
      className="data-role"
      value={f.role ?? ''}
      aria-label={`role of ${f.name}`}
      data-testid="data-role"
      title="streamed training (Deep Sets, clustering): what this file is for"
      onChange={(e) => setRole(f.id, (e.target.value || null) as Role | null)}
    >
      <option value="">no role</option>
      {ROLES.map((r) => (
        <option key={r} value={r}>
          {r}
        </option>
      ))}
    </select>
  );
}

/** The read-check badge: the background full read of the file, or a button to run it. */
export function CheckBadge({ f }: { f: LoadedFile }) {
  const checkFile = useDataStore((s) => s.checkFile);
  const c = f.check;
  if (!c) {
    return (
      <button type="button" className="link data-check-run" data-testid="data-check-run" onClick={() => void checkFile(f.id)}>
        check all entries
      </button>
    );
  }
  const text = c.status === 'running' ? `checking ${Math.round(100 * c.progress)}%` : c.status === 'ok' ? 'all entries read' : c.message;
  return (
    <span
      className={`data-check ${c.status}`}
      data-testid="data-check"
      data-check={c.status}
      title={c.message}
      role={c.status === 'failed' ? 'alert' : undefined}
    >
      {text}
    </span>
  );
}

function num(v: string, ok: (x: number) => boolean): number | null {
  const x = Number(v);
  return v.trim() !== '' && Number.isFinite(x) && ok(x) ? x : null;
}

/** Which files stream in which role, the split of a lone training file, and the evaluation size. */
export function StreamRoles() {
  const files = useDataStore((s) => s.files);
  const prefs = useDataStore((s) => s.stream);
  const setPrefs = useDataStore((s) => s.setStreamPrefs);
  const holder = (r: Role) => files.find((f) => f.role === r && f.status === 'ready')?.name;
  const train = holder('train');
  const validation = holder('validation');
  const test = holder('test');
  const pct = (x: number) => `${Math.round(x * 1000) / 10}%`;
  return (
    <div className="stream-roles" data-testid="stream-roles">
      <div>
        <b>Streamed training</b> (Deep Sets, clustering, cosmic tagging): train{' '}
        <b data-testid="role-train">{train ?? '— (the file chosen under "Train on this file")'}</b>
        {' · '}validation <b data-testid="role-validation">{validation ?? `the last ${pct(1 - prefs.split)} of the train file`}</b>
        {' · '}test <b data-testid="role-test">{test ?? '—'}</b>
      </div>
      <div className="stream-roles-fields">
        <label title="with no validation file, the train file is cut by entry ranges: this fraction trains, the rest validates">
          train fraction{' '}
          <input
            type="number"
            step={0.01}
            min={0.01}
            max={0.99}
            defaultValue={prefs.split}
            data-testid="stream-split"
            list="stream-split-offers"
            onChange={(e) => {
              const x = num(e.target.value, (v) => v > 0 && v < 1);
              if (x !== null) setPrefs({ split: x });
            }}
          />
          <datalist id="stream-split-offers">
            <option value="0.95" />
            <option value="0.9" />
            <option value="0.8" />
          </datalist>
        </label>
        <label title="entries of the validation stream per evaluation; 0 = all of it">
          validation entries per evaluation (0 = all){' '}
          <input
            type="number"
            step={1}
            min={0}
            defaultValue={prefs.evalEntries}
            data-testid="stream-eval-entries"
            onChange={(e) => {
              const x = num(e.target.value, (v) => v >= 0 && Number.isInteger(v));
              if (x !== null) setPrefs({ evalEntries: x });
            }}
          />
        </label>
        <label title="entries (sets or events) per training batch; cosmic tagging uses its own events per batch">
          entries per batch{' '}
          <input
            type="number"
            step={1}
            min={1}
            defaultValue={prefs.batch}
            data-testid="stream-batch"
            onChange={(e) => {
              const x = num(e.target.value, (v) => v >= 1 && Number.isInteger(v));
              if (x !== null) setPrefs({ batch: x });
            }}
          />
        </label>
      </div>
      <div className="muted">
        Roles and these settings take effect at Create; evaluation streams the validation data every "evaluate every" steps.
      </div>
    </div>
  );
}
