// Point page: 24 h chart of every factor (one small panel each) and the hourly validity table.
(async function () {
  const el = document.getElementById('chart');
  const pointId = el.dataset.point;
  const kindSel = document.getElementById('kind');
  const meta = await (await fetch(`/api/v1/points/${pointId}`)).json();

  async function series(factor, kind) {
    const r = await fetch(`/api/v1/points/${pointId}/series?factor=${factor}&kind=${kind}&page_size=5000`);
    return (await r.json()).items;
  }

  async function draw() {
    const kind = kindSel.value;
    const factors = meta.factors;
    const data = [], layout = {grid: {rows: factors.length, columns: 1, pattern: 'independent'},
      height: Math.max(260, 150 * factors.length), margin: {l: 60, r: 20, t: 10, b: 30}, showlegend: false,
      font: {family: '"Noto Sans CJK SC", "Noto Sans", sans-serif', size: 11}};
    const all = await Promise.all(factors.map(f => series(f.factor_code, kind)));
    factors.forEach((f, i) => {
      const rows = all[i];
      const ax = i === 0 ? '' : String(i + 1);
      data.push({x: rows.map(r => r.time), y: rows.map(r => r.value), type: 'scatter', mode: 'lines',
                 name: f.name_zh, xaxis: 'x' + ax, yaxis: 'y' + ax, line: {width: 1.5}});
      const bad = rows.filter(r => r.flag && r.flag !== 'N');
      if (bad.length) data.push({x: bad.map(r => r.time), y: bad.map(r => r.value), type: 'scatter',
        mode: 'markers', marker: {color: '#d9480f', size: 5}, name: f.name_zh + ' flag',
        text: bad.map(r => r.flag), xaxis: 'x' + ax, yaxis: 'y' + ax});
      layout['yaxis' + ax] = {title: {text: `${f.name_zh}${f.unit ? ' (' + f.unit + ')' : ''}`, font: {size: 10}}};
    });
    Plotly.react(el, data, layout, {responsive: true, displaylogo: false});
  }

  async function hourly() {
    const r = await (await fetch(`/api/v1/points/${pointId}/hourly?page_size=2000`)).json();
    const box = document.getElementById('hourly');
    if (!r.items.length) { box.textContent = '暂无小时数据 no hourly values yet'; return; }
    const rows = r.items.slice(-24 * meta.factors.length).map(h =>
      `<tr class="${h.valid ? 'ok' : (h.complete ? 'bad' : 'open')}"><td>${h.factor}</td><td>${h.time.slice(0, 16).replace('T', ' ')}</td>` +
      `<td>${h.value === null ? '—' : h.value.toPrecision(4)}</td><td>${h.flag || ''}</td>` +
      `<td>${h.valid_minutes}/${h.received_minutes}</td><td>${h.complete ? (h.valid ? '有效 valid' : '无效 invalid') : '进行中 in progress'}</td>` +
      `<td>${h.complete ? (h.reason || '') : ''}</td></tr>`);
    box.innerHTML = '<table class="latest"><thead><tr><th>因子</th><th>小时</th><th>均值</th><th>标记</th>' +
      '<th>有效/接收 分钟</th><th>有效性</th><th>原因</th></tr></thead><tbody>' + rows.join('') + '</tbody></table>';
  }

  kindSel.addEventListener('change', draw);
  await Promise.all([draw(), hourly()]);
  el.dataset.ready = '1';
  setInterval(() => { draw(); hourly(); }, 30000);
})();
