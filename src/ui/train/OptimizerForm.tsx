import type { OptimizerConfig, OptimizerName, ScheduleName } from '../../train/optimConfig';

interface Props {
  value: OptimizerConfig;
  onChange(patch: Partial<OptimizerConfig>): void;
  disabled?: boolean;
}

const OPTIMIZERS: [OptimizerName, string][] = [
  ['adamw', 'AdamW'],
  ['adam', 'Adam (L2)'],
  ['sgd', 'SGD'],
];
const SCHEDULES: [ScheduleName, string][] = [
  ['constant', 'constant'],
  ['warmup_linear', 'warm-up + linear decay'],
  ['warmup_cosine', 'warm-up + cosine decay'],
  ['warmup_cosine_restarts', 'warm-up + cosine with hard restarts (SPANet)'],
  ['step', 'step (×γ every N steps)'],
  ['one_cycle', 'one-cycle'],
  ['cosmictagger', 'CosmicTagger (warm-up 1 epoch, flat 20, exp. decay)'],
];

/** A number input that reports only values passing `ok` (so typing never sends NaN). */
function Num(p: {
  label: string;
  value: number;
  ok(v: number): boolean;
  set(v: number): void;
  int?: boolean;
  disabled?: boolean;
  testId: string;
  title?: string;
}) {
  return (
    <label title={p.title}>
      <span>{p.label}</span>
      <input
        type="number"
        step={p.int ? 1 : 'any'}
        min={0}
        value={p.value}
        disabled={p.disabled}
        data-testid={p.testId}
        onChange={(e) => {
          const v = p.int ? Math.round(+e.target.value) : +e.target.value;
          if (e.target.value !== '' && Number.isFinite(v) && p.ok(v)) p.set(v);
        }}
      />
    </label>
  );
}

/** Optimiser, learning-rate schedule, gradient clipping and the skipped-step limit. */
export function OptimizerForm({ value: c, onChange, disabled }: Props) {
  const decays = c.schedule === 'warmup_linear' || c.schedule === 'warmup_cosine' || c.schedule === 'warmup_cosine_restarts';
  const pos = (v: number) => v > 0;
  const nonneg = (v: number) => v >= 0;
  return (
    <div className="form-grid" data-testid="optimizer-form">
      <label>
        <span>optimizer</span>
        <select
          value={c.name}
          disabled={disabled}
          data-testid="cfg-optimizer"
          onChange={(e) => onChange({ name: e.target.value as OptimizerName })}
        >
          {OPTIMIZERS.map(([v, l]) => (
            <option key={v} value={v}>
              {l}
            </option>
          ))}
        </select>
      </label>
      <Num label="learning rate" value={c.lr} ok={pos} set={(lr) => onChange({ lr })} disabled={disabled} testId="cfg-lr" />
      <Num
        label={c.name === 'adamw' ? 'weight decay (decoupled)' : 'weight decay (L2)'}
        value={c.weight_decay}
        ok={nonneg}
        set={(weight_decay) => onChange({ weight_decay })}
        disabled={disabled}
        testId="cfg-weight-decay"
        title={c.no_decay_bias_norm ? 'biases and norm parameters get no weight decay' : undefined}
      />
      {c.name === 'sgd' && (
        <>
          <Num
            label="momentum"
            value={c.momentum}
            ok={(v) => v >= 0 && v < 1}
            set={(momentum) => onChange({ momentum, ...(momentum === 0 ? { nesterov: false } : {}) })}
            disabled={disabled}
            testId="cfg-momentum"
          />
          <label>
            <span>Nesterov</span>
            <input
              type="checkbox"
              checked={c.nesterov}
              disabled={disabled || c.momentum === 0}
              data-testid="cfg-nesterov"
              onChange={(e) => onChange({ nesterov: e.target.checked })}
            />
          </label>
        </>
      )}
      <label>
        <span>lr schedule</span>
        <select
          value={c.schedule}
          disabled={disabled}
          data-testid="cfg-schedule"
          onChange={(e) => onChange({ schedule: e.target.value as ScheduleName })}
        >
          {SCHEDULES.map(([v, l]) => (
            <option key={v} value={v}>
              {l}
            </option>
          ))}
        </select>
      </label>
      {c.schedule === 'cosmictagger' && (
        <Num
          label="steps per epoch (train events / batch)"
          value={c.warmup_steps}
          int
          ok={(v) => v >= 1}
          set={(warmup_steps) => onChange({ warmup_steps })}
          disabled={disabled}
          testId="cfg-epoch-steps"
        />
      )}
      {decays && (
        <Num
          label="warm-up steps"
          value={c.warmup_steps}
          int
          ok={nonneg}
          set={(warmup_steps) => onChange({ warmup_steps })}
          disabled={disabled}
          testId="cfg-warmup-steps"
        />
      )}
      {(decays || c.schedule === 'one_cycle') && (
        <Num
          label="decay steps (0 = the step limit)"
          value={c.decay_steps}
          int
          ok={nonneg}
          set={(decay_steps) => onChange({ decay_steps })}
          disabled={disabled}
          testId="cfg-decay-steps"
        />
      )}
      {decays && (
        <Num
          label="final lr / lr"
          value={c.min_lr_ratio}
          ok={(v) => v >= 0 && v <= 1}
          set={(min_lr_ratio) => onChange({ min_lr_ratio })}
          disabled={disabled}
          testId="cfg-min-lr-ratio"
        />
      )}
      {c.schedule === 'warmup_cosine_restarts' && (
        <Num
          label="cosine cycles"
          value={c.cycles}
          int
          ok={(v) => Number.isInteger(v) && v >= 1}
          set={(cycles) => onChange({ cycles })}
          disabled={disabled}
          testId="cfg-cycles"
        />
      )}
      {c.schedule === 'step' && (
        <>
          <Num
            label="step size"
            value={c.step_size}
            int
            ok={pos}
            set={(step_size) => onChange({ step_size })}
            disabled={disabled}
            testId="cfg-step-size"
          />
          <Num label="gamma" value={c.gamma} ok={pos} set={(gamma) => onChange({ gamma })} disabled={disabled} testId="cfg-gamma" />
        </>
      )}
      <Num
        label="clip gradient norm (0 = off)"
        value={c.clip_norm}
        ok={nonneg}
        set={(clip_norm) => onChange({ clip_norm })}
        disabled={disabled}
        testId="cfg-clip-norm"
        title="scales all gradients so their global L2 norm is at most this (torch clip_grad_norm_)"
      />
      <Num
        label="pause after skipped steps"
        value={c.max_skipped_steps}
        int
        ok={nonneg}
        set={(max_skipped_steps) => onChange({ max_skipped_steps })}
        disabled={disabled}
        testId="cfg-max-skipped"
        title="a step whose loss or gradient is NaN/inf changes nothing; after this many in a row training pauses (0 = never)"
      />
    </div>
  );
}
