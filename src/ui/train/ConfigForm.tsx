import type { ConfigField, TaskConfig } from '../../tasks/types';

interface Props {
  fields: ConfigField[];
  values: TaskConfig;
  onChange(key: string, value: number | string | boolean): void;
  disabled?: boolean;
}

/** A form generated from a task's declared settings. */
export function ConfigForm({ fields, values, onChange, disabled }: Props) {
  return (
    <div className="form-grid">
      {fields.filter((f) => f.kind !== 'text').map((f) => (
        <label key={f.key} title={f.help}>
          <span>{f.label}</span>
          {f.kind === 'select' ? (
            <select disabled={disabled} value={String(values[f.key])} onChange={(e) => onChange(f.key, e.target.value)} data-testid={`cfg-${f.key}`}>
              {f.options.map((o) => <option key={o}>{o}</option>)}
            </select>
          ) : f.kind === 'bool' ? (
            <input type="checkbox" disabled={disabled} checked={Boolean(values[f.key])} onChange={(e) => onChange(f.key, e.target.checked)} data-testid={`cfg-${f.key}`} />
          ) : (
            <input
              type="number" disabled={disabled} min={f.min} max={f.max} step={f.step ?? (f.kind === 'int' ? 1 : 'any')}
              value={Number(values[f.key])} data-testid={`cfg-${f.key}`}
              onChange={(e) => {
                const v = f.kind === 'int' ? Math.round(+e.target.value) : +e.target.value;
                if (Number.isFinite(v)) onChange(f.key, v);
              }}
            />
          )}
        </label>
      ))}
      {fields.filter((f) => f.kind === 'text').map((f) => (
        <TextField key={f.key} label={f.label} help={f.help} value={String(values[f.key] ?? '')} disabled={disabled}
          testId={`cfg-${f.key}`} onChange={(v) => onChange(f.key, v)} />
      ))}
    </div>
  );
}

function TextField(p: { label: string; help?: string; value: string; disabled?: boolean; testId: string; onChange(v: string): void }) {
  return (
    <label className="text-field" title={p.help}>
      <span>
        {p.label}{' '}
        <input
          type="file" accept=".yaml,.yml,.txt,text/plain" disabled={p.disabled} data-testid={`${p.testId}-file`}
          onChange={(e) => {
            const file = e.target.files?.[0];
            if (file) void file.text().then(p.onChange);
            e.target.value = '';
          }}
        />
      </span>
      <textarea rows={p.value ? 10 : 2} spellCheck={false} value={p.value} disabled={p.disabled} data-testid={p.testId}
        placeholder={p.help} onChange={(e) => p.onChange(e.target.value)} />
    </label>
  );
}
