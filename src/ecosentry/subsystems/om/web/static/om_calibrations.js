// The drift chart of one analyser (/om/calibrations?point=&factor=): zero and span drift (% F.S.) over time, the
// allowed drift as dashed lines, failed checks in red, out-of-control and overdue periods as shaded spans.
// Data: the JSON in #om-drift-chart's data-chart (local times as naive strings: plotly has no time zones).
(function () {
  const el = document.getElementById('om-drift-chart');
  if (!el || typeof Plotly === 'undefined') return;
  const d = JSON.parse(el.dataset.chart);
  const COLORS = {zero: '#1c7ed6', span: '#7048e8'};
  const data = [], shapes = [];
  for (const kind of ['zero', 'span']) {
    const s = d.series[kind];
    if (!s.t.length) continue;
    data.push({x: s.t, y: s.v, type: 'scatter', mode: 'lines+markers', name: s.name,
               line: {color: COLORS[kind], width: 1.5},
               marker: {size: s.fail.map(f => (f ? 10 : 6)), color: s.fail.map(f => (f ? '#e03131' : COLORS[kind])),
                        symbol: s.fail.map(f => (f ? 'x' : 'circle'))},
               hovertemplate: `${s.name}: %{y:.2f} %<extra></extra>`});
  }
  const limits = [...new Set(['zero', 'span'].filter(k => d.series[k].t.length).map(k => d.series[k].allowed))];
  for (const a of limits) {
    for (const y of [a, -a]) {
      shapes.push({type: 'line', xref: 'paper', x0: 0, x1: 1, yref: 'y', y0: y, y1: y,
                   line: {color: '#c92a2a', width: 1, dash: 'dash'}});
    }
  }
  for (const [a, b, reason] of d.periods) {
    shapes.push({type: 'rect', xref: 'x', yref: 'paper', x0: a, x1: b, y0: 0, y1: 1, layer: 'below', line: {width: 0},
                 fillcolor: reason === 'failed' ? 'rgba(224, 49, 49, 0.16)' : 'rgba(247, 103, 7, 0.13)'});
  }
  const top = Math.max(3, ...limits.map(a => a * 1.6),
                       ...['zero', 'span'].flatMap(k => d.series[k].v.map(v => Math.abs(v) * 1.15)));
  const narrow = el.clientWidth < 600;
  const layout = {
    height: narrow ? 260 : 300, margin: {l: 48, r: 10, t: 10, b: narrow ? 60 : 40}, shapes, hovermode: 'closest',
    font: {family: getComputedStyle(document.body).fontFamily, size: 11},
    xaxis: {type: 'date', range: [d.start, d.end], tickfont: {size: 11}},
    yaxis: {title: {text: d.words.drift, font: {size: 11}}, range: [-top, top], zeroline: true, tickfont: {size: 11}},
    legend: {orientation: 'h', y: -0.22, font: {size: 11}},
    annotations: limits.map(a => ({xref: 'paper', x: 1, y: a, yref: 'y', xanchor: 'right', yanchor: 'bottom',
                                   text: `${d.words.allowed} ±${a} %`, showarrow: false,
                                   font: {size: 10, color: '#c92a2a'}})),
  };
  Plotly.newPlot(el, data, layout, {displayModeBar: false, responsive: true}).then(() => { el.dataset.ready = '1'; });
})();
