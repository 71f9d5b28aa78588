// The enterprise's electricity day: one time axis, three panels (state bands of every unit; power of the
// production units; power of the treatment units), the findings as red spans across all of them.
// Data: /power/enterprises/{id}/day.json?day=YYYY-MM-DD (local times as naive strings: plotly has no zones).
(function () {
  const el = document.getElementById('power-chart');
  if (!el) return;
  const t = JSON.parse(el.dataset.i18n);
  const lang = el.dataset.lang;
  const COLORS = {'1': '#37b24d', '0': '#adb5bd', '-1': '#ffe066', '-2': '#dee2e6'};
  const STATE_WORD = {'1': t.running, '0': t.stopped, '-1': t.nodata, '-2': t.unknown};
  // production in blues and purples, treatment in greens and oranges: a pair reads apart at a glance
  const PROD_COLORS = ['#1c7ed6', '#7048e8', '#1098ad', '#ae3ec9', '#364fc7'];
  const TREAT_COLORS = ['#2b8a3e', '#f76707', '#5c940d', '#e8590c', '#087f5b'];

  function minutes(start, n) {
    const [d, h] = start.split(' ');
    const [y, mo, da] = d.split('-').map(Number);
    const [hh, mi] = h.split(':').map(Number);
    const t0 = Date.UTC(y, mo - 1, da, hh, mi);
    const out = new Array(n);
    for (let i = 0; i < n; i++) out[i] = new Date(t0 + i * 60000).toISOString().slice(0, 16).replace('T', ' ');
    return out;
  }

  function short(name, max) { return name.length > max ? name.slice(0, max - 1) + '…' : name; }

  async function draw() {
    const url = `/power/enterprises/${el.dataset.enterprise}/day.json?day=${el.dataset.day}`;
    const res = await fetch(url, {credentials: 'same-origin'});
    if (!res.ok) { el.textContent = (await res.json()).detail; return; }
    const d = await res.json();
    const units = d.units.filter(u => u.role !== 'total');
    if (!d.units.length) { el.innerHTML = `<p class="empty">${t.empty}</p>`; el.dataset.ready = '1'; return; }
    const narrow = el.clientWidth < 600;
    const x = minutes(d.start, d.minutes);
    const rowH = 26, stateH = rowH * units.length + 20, panelH = narrow ? 170 : 200, gap = 36;
    const top = 22, bottom = narrow ? 70 : 50;
    const height = top + stateH + gap + panelH + gap + panelH + bottom;
    const frac = px => px / (height - top - bottom);
    const inner = height - top - bottom;
    const dom3 = [0, frac(panelH)];
    const dom2 = [frac(panelH + gap), frac(2 * panelH + gap)];
    const dom1 = [frac(2 * panelH + 2 * gap), 1];
    const data = [], shapes = [];
    const n = units.length;
    // panel 1: state bands, one row per unit (first at the top)
    units.forEach((u, i) => {
      const y = n - 1 - i;
      for (const [a, b, s] of u.bands) {
        shapes.push({type: 'rect', xref: 'x', yref: 'y', x0: a, x1: b, y0: y - 0.36, y1: y + 0.36, line: {width: 0},
                     fillcolor: COLORS[String(s)] || '#dee2e6'});
      }
      // an invisible line so the row answers a hover with the unit's state at that minute
      const state = new Array(d.minutes).fill('');
      for (const [a, b, s] of u.bands) {
        const i0 = x.indexOf(a.slice(0, 16)), i1 = b.slice(0, 16) >= x[x.length - 1] ? d.minutes : x.indexOf(b.slice(0, 16));
        for (let k = Math.max(i0, 0); k < (i1 < 0 ? d.minutes : i1); k++) state[k] = STATE_WORD[String(s)];
      }
      data.push({x, y: new Array(d.minutes).fill(y), type: 'scatter', mode: 'lines', line: {width: 0},
                 yaxis: 'y', xaxis: 'x', name: u.name, text: state, hoverinfo: 'text+name', showlegend: false});
    });
    // panels 2 and 3: power of production (and the total meter, dashed) and of treatment
    let pi = 0, ti = 0;
    d.units.forEach(u => {
      const prod = u.role !== 'treatment';
      const color = u.role === 'total' ? '#495057' : prod ? PROD_COLORS[pi++ % PROD_COLORS.length]
                                                        : TREAT_COLORS[ti++ % TREAT_COLORS.length];
      data.push({x, y: u.p, type: 'scatter', mode: 'lines', name: u.name, xaxis: 'x', yaxis: prod ? 'y2' : 'y3',
                 connectgaps: false, line: {width: 1.4, color, dash: u.role === 'total' ? 'dot' : 'solid'},
                 hovertemplate: `${u.name}: %{y:.1f} kW<extra></extra>`,
                 legendgroup: prod ? 'p' : 't'});
    });
    for (const f of d.findings) {
      shapes.push({type: 'rect', xref: 'x', yref: 'paper', x0: f.start, x1: f.end, y0: 0, y1: 1, layer: 'below',
                   fillcolor: 'rgba(224, 49, 49, 0.13)', line: {width: 1, color: 'rgba(224, 49, 49, 0.6)'},
                   label: {text: f.code.replace('PWR-', ''), textposition: 'top left', font: {size: 9, color: '#c92a2a'}}});
    }
    const labelMax = narrow ? 9 : 22;
    const layout = {
      height, margin: {l: narrow ? 78 : 150, r: 10, t: top, b: bottom}, hovermode: 'closest', shapes,
      font: {family: getComputedStyle(document.body).fontFamily, size: narrow ? 10 : 11},
      showlegend: true, legend: {orientation: 'h', y: -0.02 - frac(bottom - 8) / 1, yanchor: 'top', font: {size: 10}},
      xaxis: {type: 'date', range: [d.start, d.end], anchor: 'y3', title: {text: t.time, font: {size: 10}}},
      yaxis: {domain: dom1, range: [-0.6, n - 0.4], tickvals: units.map((u, i) => n - 1 - i),
              ticktext: units.map(u => short(u.name, labelMax)), fixedrange: true, showgrid: false, zeroline: false},
      yaxis2: {domain: dom2, title: {text: `${t.production} · ${t.power}`, font: {size: 10}}, rangemode: 'tozero'},
      yaxis3: {domain: dom3, title: {text: `${t.treatment} · ${t.power}`, font: {size: 10}}, rangemode: 'tozero'},
    };
    layout.legend.y = -(bottom - 30) / inner;
    if (lang === 'vi') {
      Object.assign(layout.xaxis, {tickformat: '%H:%M', hoverformat: '%d/%m/%Y %H:%M'});
      layout.separators = ',.';
    } else {
      Object.assign(layout.xaxis, {tickformat: '%H:%M', hoverformat: '%Y-%m-%d %H:%M'});
    }
    await Plotly.react(el, data, layout, {responsive: true, displaylogo: false,
                                          modeBarButtonsToRemove: ['select2d', 'lasso2d']});
    el.dataset.ready = '1';
    el.dataset.units = String(d.units.length);
  }
  draw();
})();
