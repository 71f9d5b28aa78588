// Point page chart: one panel per factor sharing the time axis; invalid hours (days) shaded red in the
// factor's panel, marks shaded blue across all panels, limits as dashed lines. Data: /points/{id}/chart.json.
(function () {
  const el = document.getElementById('chart');
  const pointId = el.dataset.point;
  const lang = el.dataset.lang;
  const t = JSON.parse(el.dataset.i18n);
  const kindSel = document.getElementById('kind');
  const spanSel = document.getElementById('span');

  async function draw() {
    const kind = kindSel.value;
    const q = new URLSearchParams({kind});
    if (spanSel.value) q.set('hours', spanSel.value);
    const res = await fetch(`/points/${pointId}/chart.json?${q}`, {credentials: 'same-origin'});
    if (!res.ok) { el.textContent = (await res.json()).detail; return; }
    const d = await res.json();
    const factors = d.factors.filter(f => f.t.length || f.invalid.length);
    if (!factors.length) {
      Plotly.purge(el);
      el.innerHTML = `<p class="empty chart-empty">${t.empty}</p>`;
      el.dataset.ready = '1';
      return;
    }
    const n = factors.length;
    const data = [], shapes = [];
    const layout = {
      grid: {rows: n, columns: 1, pattern: 'coupled', roworder: 'top to bottom', ygap: 0.25},
      height: Math.max(280, 150 * n + 40), margin: {l: 64, r: 16, t: 10, b: 36}, showlegend: false,
      font: {family: getComputedStyle(document.body).fontFamily, size: 11},
      xaxis: {type: 'date', range: [d.start, d.end], title: {text: `${t.time} (${d.tz_label})`, font: {size: 10}}},
      hovermode: 'x unified', shapes,
    };
    if (lang === 'vi') {
      // Vietnamese readers: dd/mm/yyyy dates and the decimal comma with the thousands dot (plotly's own
      // month names are English; its locale files are not shipped in the wheel)
      const dayOnly = kind === 'day';
      Object.assign(layout.xaxis, {tickformat: dayOnly ? '%d/%m/%Y' : '%H:%M<br>%d/%m/%Y',
                                   hoverformat: dayOnly ? '%d/%m/%Y' : '%d/%m/%Y %H:%M'});
      layout.separators = ',.';
      layout.margin.b = 64;   // two-line ticks under the axis title
    }
    factors.forEach((f, i) => {
      const ax = i === 0 ? '' : String(i + 1);
      const name = f.name;
      const isPeriod = kind === 'hour' || kind === 'day';
      data.push({x: f.t, y: f.v, type: 'scatter', mode: isPeriod ? 'lines+markers' : 'lines', name,
                 xaxis: 'x', yaxis: 'y' + ax, line: {width: 1.5, color: '#1c7ed6'}, marker: {size: 4},
                 connectgaps: false});
      const bad = f.t.map((x, j) => j).filter(j => (f.valid[j] === false) || (f.flag[j] && f.flag[j] !== 'N'));
      if (bad.length) data.push({x: bad.map(j => f.t[j]), y: bad.map(j => f.v[j]), type: 'scatter', mode: 'markers',
        name: `${name} · ${isPeriod ? t.invalid : t.flagged}`, xaxis: 'x', yaxis: 'y' + ax,
        marker: {color: '#d9480f', size: 7, symbol: 'x'}, text: bad.map(j => f.flag[j] || t.invalid)});
      const exc = f.t.map((x, j) => j).filter(j => f.exceeded[j] === true);
      if (exc.length) data.push({x: exc.map(j => f.t[j]), y: exc.map(j => f.v[j]), type: 'scatter', mode: 'markers',
        name: `${name} · ${t.exceeded}`, xaxis: 'x', yaxis: 'y' + ax,
        marker: {color: '#c92a2a', size: 9, symbol: 'circle-open', line: {width: 2}}});
      layout['yaxis' + ax] = {title: {text: `${name}${f.unit ? ' (' + f.unit + ')' : ''}`, font: {size: 10}},
                              automargin: true};
      for (const [a, b] of f.invalid) shapes.push({type: 'rect', xref: 'x', yref: `y${ax} domain`, x0: a, x1: b,
        y0: 0, y1: 1, fillcolor: 'rgba(224, 49, 49, 0.16)', line: {width: 0}, layer: 'below',
        name: kind === 'day' ? t.invalid_day : t.invalid});
      if (f.limit) for (const v of [f.limit.upper, f.limit.lower]) if (v !== null && v !== undefined)
        shapes.push({type: 'line', xref: 'x domain', yref: 'y' + ax, x0: 0, x1: 1, y0: v, y1: v,
                     line: {color: '#c92a2a', width: 1.2, dash: 'dash'}, name: t.limit});
    });
    for (const mk of d.marks) {
      shapes.push({type: 'rect', xref: 'x', yref: 'paper', x0: mk.start, x1: mk.end, y0: 0, y1: 1,
                   fillcolor: mk.status === 'approved' ? 'rgba(28, 126, 214, 0.14)' : 'rgba(28, 126, 214, 0.07)',
                   line: {width: 1, color: 'rgba(28, 126, 214, 0.5)', dash: mk.status === 'approved' ? 'solid' : 'dot'},
                   layer: 'below', name: t[mk.type] || mk.type,
                   label: {text: t[mk.type] || mk.type, textposition: 'top left', font: {size: 10, color: '#1864ab'}}});
    }
    const empty = el.querySelector('.chart-empty');
    if (empty) empty.remove();  // left by an earlier empty span (Plotly.purge'd then)
    await Plotly.react(el, data, layout, {responsive: true, displaylogo: false});
    el.dataset.kind = kind;
    el.dataset.ready = '1';
  }

  kindSel.addEventListener('change', () => { el.dataset.ready = ''; draw(); });
  spanSel.addEventListener('change', () => { el.dataset.ready = ''; draw(); });
  draw();
  setInterval(draw, 60000);
})();
