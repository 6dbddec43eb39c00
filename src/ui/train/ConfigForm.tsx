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
      {fields.map((f) => (
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
    </div>
  );
}
