// Plotly's cartesian bundle (scatter, bar, heatmap: what the figures and histograms draw; 1.5 MB
// instead of the full 4.6 MB), loaded on the first figure so the first screen does not wait for it.
type PlotlyApi = typeof import('plotly.js-cartesian-dist-min').default;

let plotly: Promise<PlotlyApi> | null = null;

export function loadPlotly(): Promise<PlotlyApi> {
  plotly ??= import('plotly.js-cartesian-dist-min').then((m) => m.default);
  return plotly;
}
