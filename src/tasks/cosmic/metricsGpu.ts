import { grid1d } from '../../gpu/grid';
import { SHADERS } from '../../gpu/shaders';
import type { Engine } from '../../tensor/engine';
import { launchReduce } from '../../tensor/kernels';
import type { Tensor } from '../../tensor/tensor';
import { metricNames, UPSTREAM_CLASS_NAMES, type EmptyImages } from './metrics';

/** Pixels one thread of the confusion kernel counts before the chunk sums are reduced. */
const CONFUSION_CHUNK = 1024;
const MAX_CLASSES = 8;
const QUIET_NAN_BITS = 0x7fc00000;

/** Per-image confusion counts [N, C·C] (label-major, f32 integers) of NCHW logits vs labels. */
export function confusionCounts(e: Engine, logits: Tensor, labels: Tensor<'i32'>): Tensor<'f32'> {
  const [N, C, H, W] = logits.shape;
  const HW = H * W;
  if (C > MAX_CLASSES) throw new Error(`confusionCounts: at most ${MAX_CLASSES} classes`);
  if (labels.size !== N * HW) throw new Error(`confusionCounts: ${labels.size} labels for logits [${logits.shape}]`);
  const chunks = Math.ceil(HW / CONFUSION_CHUNK);
  const conf = e.empty([N, C * C]);
  const target = chunks === 1 ? conf.buffer : e.gpu.alloc(N * chunks * C * C * 4, 'confusion-partials');
  e.gpu.dispatch(SHADERS.segMetrics, 'seg_confusion_partials', [logits.buffer, labels.buffer, target], grid1d(N * chunks), [
    ['u32', N],
    ['u32', C],
    ['u32', HW],
    ['u32', CONFUSION_CHUNK],
    ['u32', chunks],
    ['u32', 1],
    ['u32', 0],
    ['u32', 0],
  ]);
  if (chunks > 1) {
    launchReduce(e.gpu, target, conf.buffer, N, chunks, C * C, 1);
    e.gpu.release(target);
  }
  return conf;
}

/**
 * The averaged metrics as scalar tensors (for the trainer's per-step series), from confusion
 * counts of N = B·P images, under CosmicTagger's names: Average/Total_Accuracy,
 * Average/Non_Bkg_Accuracy, Average/<class>_IoU per foreground class, Average/mIoU.
 */
export function metricAverages(
  e: Engine,
  conf: Tensor<'f32'>,
  planes: number,
  classNames: string[] = UPSTREAM_CLASS_NAMES,
  emptyImages: EmptyImages = 'skip',
): Record<string, Tensor<'f32'>> {
  const [N, CC] = conf.shape;
  const C = Math.round(Math.sqrt(CC));
  const all = e.empty([C + 2]);
  e.gpu.dispatch(
    SHADERS.segMetrics,
    'seg_metrics_average',
    [conf.buffer, all.buffer],
    [1],
    [
      ['u32', N],
      ['u32', C],
      ['u32', 0],
      ['u32', 0],
      ['u32', 0],
      ['u32', planes],
      ['u32', emptyImages === 'nan' ? 1 : 0],
      ['u32', QUIET_NAN_BITS],
    ],
  );
  const names = metricNames(
    'Average/',
    Array.from({ length: C - 1 }, (_, k) => classNames[k] ?? `class${k + 1}`),
  );
  const out: Record<string, Tensor<'f32'>> = {};
  names.forEach((name, i) => {
    const t = e.empty([]);
    e.gpu.copy(all.buffer, i * 4, t.buffer, 0, 4);
    out[name] = t;
  });
  all.dispose();
  return out;
}
