import { useEffect, useState } from 'react';

export interface NumberLimits {
  min?: number;
  max?: number;
  int?: boolean;
}

/** Why `text` is not an acceptable value, or null when it is. */
export function limitError(text: string, { min, max, int }: NumberLimits): string | null {
  if (text.trim() === '') return 'enter a number';
  const v = Number(text);
  if (!Number.isFinite(v)) return 'not a number';
  if (int && !Number.isInteger(v)) return 'must be a whole number';
  if (min !== undefined && max !== undefined && (v < min || v > max)) return `must be between ${min} and ${max}`;
  if (min !== undefined && v < min) return `must be at least ${min}`;
  if (max !== undefined && v > max) return `must be at most ${max}`;
  return null;
}

interface Props extends NumberLimits {
  label: string;
  value: number;
  testId: string;
  title?: string;
  step?: number;
  disabled?: boolean;
  onChange(v: number): void;
  /** The limit violation of what is typed (null when it is fine); the value is not sent then. */
  onError(message: string | null): void;
}

/**
 * A number input that keeps what is typed and sends only values within its limits; anything
 * else is kept in the box and explained next to it (never clamped or accepted silently).
 */
export function NumberField(p: Props) {
  const [text, setText] = useState(String(p.value));
  const error = limitError(text, p);
  // A value set elsewhere (task switch, preset, run config) replaces a draft that differs.
  useEffect(() => {
    setText((t) => (Number(t) === p.value && t.trim() !== '' ? t : String(p.value)));
  }, [p.value]);
  const { onError } = p;
  useEffect(() => onError(error), [error, onError]);
  // A field that disappears (hidden, other task) leaves no error behind.
  useEffect(() => () => onError(null), [onError]);
  return (
    <label title={p.title} className={error ? 'invalid' : undefined}>
      <span>{p.label}</span>
      <input
        type="number"
        disabled={p.disabled}
        min={p.min}
        max={p.max}
        step={p.step ?? (p.int ? 1 : 'any')}
        value={text}
        data-testid={p.testId}
        aria-invalid={error ? true : undefined}
        onChange={(e) => {
          const t = e.target.value;
          setText(t);
          if (limitError(t, p) === null) p.onChange(Number(t));
        }}
      />
      {error && (
        <span className="field-error" role="alert" data-testid={`${p.testId}-error`}>
          {error}
        </span>
      )}
    </label>
  );
}
