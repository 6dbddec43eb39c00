// plotly.js-cartesian-dist-min ships no types; we use only Plotly.react and Plotly.purge.
declare module 'plotly.js-cartesian-dist-min' {
  const Plotly: {
    react(el: HTMLElement, data: unknown[], layout?: unknown, config?: unknown): Promise<void>;
    purge(el: HTMLElement): void;
  };
  export default Plotly;
}
