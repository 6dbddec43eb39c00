import { useEffect, useMemo, useRef, useState } from 'react';
import type { PlaneLayers } from '../../tasks/types';
import { fitView, panBy, paintPlane, zoomAt, type View } from './planeView';

interface Props {
  data: PlaneLayers;
  title: string;
  testId: string;
}

const GAP = 6;

/**
 * Event display of every plane at full resolution: each layer × plane is painted once into
 * an offscreen canvas of H × W pixels (a 1280 × 2048 plane is 2.6 M pixels: too many for
 * plotly cells), and the visible canvases draw the current view of it. One view for all
 * canvases, so the planes' time axes stay aligned: wheel zooms at the cursor, drag pans,
 * double-click fits the whole plane again.
 */
export function PlaneDisplay({ data, title, testId }: Props) {
  const { count: P, height: H, width: W, layers } = data;
  const box = useRef<HTMLDivElement>(null);
  const canvases = useRef<(HTMLCanvasElement | null)[]>([]);
  const [cw, setCw] = useState(0);
  const ch = Math.max(1, Math.round((cw * H) / W));
  const [view, setView] = useState<View | null>(null);
  const drag = useRef<{ x: number; y: number } | null>(null);

  // Full-resolution bitmaps, [layer][plane].
  const bitmaps = useMemo(
    () =>
      layers.map((l) =>
        Array.from({ length: P }, (_, p) => {
          const c = document.createElement('canvas');
          c.width = W;
          c.height = H;
          const img = new ImageData(paintPlane(l.values, p * H * W, H, W, l.scale) as Uint8ClampedArray<ArrayBuffer>, W, H);
          c.getContext('2d')!.putImageData(img, 0, 0);
          return c;
        }),
      ),
    [layers, P, H, W],
  );

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const measure = () => setCw(Math.max(60, Math.floor((el.clientWidth - GAP * (P - 1)) / P)));
    measure();
    const ro = new ResizeObserver(measure);
    ro.observe(el);
    return () => ro.disconnect();
  }, [P]);

  // A new event or a resize shows the whole plane.
  useEffect(() => {
    if (cw > 0) setView(fitView(W, H, cw, ch));
  }, [bitmaps, cw, ch, W, H]);

  useEffect(() => {
    if (!view) return;
    layers.forEach((_, li) => {
      for (let p = 0; p < P; p++) {
        const c = canvases.current[li * P + p];
        const ctx = c?.getContext('2d');
        if (!c || !ctx) continue;
        ctx.fillStyle = '#000';
        ctx.fillRect(0, 0, c.width, c.height);
        // Nearest pixels once zoomed in (labels must stay crisp); smoothing when shrinking.
        ctx.imageSmoothingEnabled = view.scale < 1;
        const sw = cw / view.scale;
        const sh = ch / view.scale;
        ctx.drawImage(bitmaps[li][p], view.x0, view.y0, sw, sh, 0, 0, cw, ch);
      }
    });
  }, [view, bitmaps, layers, P, cw, ch]);

  const onWheel = (ev: React.WheelEvent<HTMLCanvasElement>) => {
    if (!view) return;
    const r = ev.currentTarget.getBoundingClientRect();
    setView(zoomAt(view, Math.exp(-ev.deltaY * 0.002), ev.clientX - r.left, ev.clientY - r.top, W, H, cw, ch));
  };
  const onMove = (ev: React.PointerEvent<HTMLCanvasElement>) => {
    if (!view || !drag.current) return;
    setView(panBy(view, ev.clientX - drag.current.x, ev.clientY - drag.current.y, W, H, cw, ch));
    drag.current = { x: ev.clientX, y: ev.clientY };
  };

  // Wheel events must not scroll the page while over the display.
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const stop = (e: WheelEvent) => e.preventDefault();
    el.addEventListener('wheel', stop, { passive: false });
    return () => el.removeEventListener('wheel', stop);
  }, []);

  const zoomText = view ? `${view.scale >= 1 ? view.scale.toFixed(1) : view.scale.toFixed(3)} screen px per pixel` : '';
  return (
    <div data-testid={testId} className="plane-display">
      <div className="plane-display-title">
        {title}{' '}
        <span className="muted" data-testid={`${testId}-zoom`}>
          {zoomText}
        </span>
      </div>
      <div ref={box}>
        {layers.map((l, li) => (
          <div key={l.id} data-testid={`figure-${l.id}`} data-width={W} data-height={H}>
            <div className="muted">
              {l.name}
              {l.scale === 'labels' ? ' (black background, orange cosmic, blue neutrino)' : ' (log scale)'}
            </div>
            <div style={{ display: 'flex', gap: GAP }}>
              {Array.from({ length: P }, (_, p) => (
                <canvas
                  key={p}
                  ref={(c) => {
                    canvases.current[li * P + p] = c;
                  }}
                  width={cw}
                  height={ch}
                  title={`plane ${p}: ${H} × ${W}`}
                  style={{ cursor: 'grab', touchAction: 'none' }}
                  onWheel={onWheel}
                  onPointerDown={(ev) => {
                    ev.currentTarget.setPointerCapture(ev.pointerId);
                    drag.current = { x: ev.clientX, y: ev.clientY };
                  }}
                  onPointerMove={onMove}
                  onPointerUp={() => (drag.current = null)}
                  onDoubleClick={() => setView(fitView(W, H, cw, ch))}
                />
              ))}
            </div>
          </div>
        ))}
      </div>
    </div>
  );
}
