import { useCallback } from 'react';
import type { ConfigField, TaskConfig } from '../../tasks/types';
import { NumberField } from './NumberField';

interface Props {
  fields: ConfigField[];
  values: TaskConfig;
  onChange(key: string, value: number | string | boolean): void;
  /** Reports a field whose typed value breaks its limits (message) or no longer does (null). */
  onFieldError?(key: string, message: string | null): void;
  /** A file's data is attached: fields only the built-in data uses are hidden. */
  fileData?: boolean;
  disabled?: boolean;
}

/** A form generated from a task's declared settings. */
export function ConfigForm({ fields, values, onChange, onFieldError, fileData, disabled }: Props) {
  const shown = fields.filter((f) => !(fileData && f.hideWhenFile));
  return (
    <div className="form-grid">
      {shown
        .filter((f) => f.kind !== 'text')
        .map((f) =>
          f.kind === 'number' || f.kind === 'int' ? (
            <ConfigNumber
              key={f.key}
              field={f}
              value={Number(values[f.key])}
              disabled={disabled}
              onChange={onChange}
              onFieldError={onFieldError}
            />
          ) : (
            <label key={f.key} title={f.help}>
              <span>{f.label}</span>
              {f.kind === 'select' ? (
                <select
                  disabled={disabled}
                  value={String(values[f.key])}
                  onChange={(e) => onChange(f.key, e.target.value)}
                  data-testid={`cfg-${f.key}`}
                >
                  {f.options.map((o) => (
                    <option key={o}>{o}</option>
                  ))}
                </select>
              ) : (
                <input
                  type="checkbox"
                  disabled={disabled}
                  checked={Boolean(values[f.key])}
                  onChange={(e) => onChange(f.key, e.target.checked)}
                  data-testid={`cfg-${f.key}`}
                />
              )}
            </label>
          ),
        )}
      {shown
        .filter((f) => f.kind === 'text')
        .map((f) => (
          <TextField
            key={f.key}
            label={f.label}
            help={f.help}
            value={String(values[f.key] ?? '')}
            disabled={disabled}
            testId={`cfg-${f.key}`}
            onChange={(v) => onChange(f.key, v)}
          />
        ))}
    </div>
  );
}

function ConfigNumber(p: {
  field: Extract<ConfigField, { kind: 'number' | 'int' }>;
  value: number;
  disabled?: boolean;
  onChange: Props['onChange'];
  onFieldError: Props['onFieldError'];
}) {
  const { field: f, onChange, onFieldError } = p;
  const set = useCallback((v: number) => onChange(f.key, v), [onChange, f.key]);
  const err = useCallback((m: string | null) => onFieldError?.(f.key, m), [onFieldError, f.key]);
  return (
    <NumberField
      label={f.label}
      title={f.help}
      value={p.value}
      min={f.min}
      max={f.max}
      step={f.step}
      int={f.kind === 'int'}
      disabled={p.disabled}
      testId={`cfg-${f.key}`}
      onChange={set}
      onError={err}
    />
  );
}

function TextField(p: { label: string; help?: string; value: string; disabled?: boolean; testId: string; onChange(v: string): void }) {
  return (
    <label className="text-field" title={p.help}>
      <span>
        {p.label}{' '}
        <input
          type="file"
          accept=".yaml,.yml,.json,.txt,text/plain,application/json"
          disabled={p.disabled}
          data-testid={`${p.testId}-file`}
          onChange={(e) => {
            const file = e.target.files?.[0];
            if (file) void file.text().then(p.onChange);
            e.target.value = '';
          }}
        />
      </span>
      <textarea
        rows={p.value ? 10 : 2}
        spellCheck={false}
        value={p.value}
        disabled={p.disabled}
        data-testid={p.testId}
        placeholder={p.help}
        onChange={(e) => p.onChange(e.target.value)}
      />
    </label>
  );
}
