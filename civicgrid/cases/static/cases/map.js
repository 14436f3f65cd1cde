/* Workbench maps (Leaflet, served from the xstatic-leaflet package): the grids of the user's scope are
   the base layer; a tile layer only when the site configures TILE_URL. No external requests otherwise. */
(function () {
  "use strict";
  if (typeof L === "undefined") { return; }

  // Marker colours by state (the legend on the map page uses the same classes in workbench.css).
  var STATE_COLOURS = {
    reported: "#d64545", accepted: "#e8833a", registered: "#c99a06", dispatched: "#2186eb",
    signed: "#0b69a3", handled: "#7e57c2", verified: "#2f9e75", suspended: "#7b8794"
  };
  var GRID_STYLE = { color: "#52606d", weight: 1, fillColor: "#dfe7ee", fillOpacity: 0.45 };

  function newMap(el, options) {
    var map = L.map(el, Object.assign({ zoomSnap: 0.5, attributionControl: !!el.dataset.tiles }, options || {}));
    if (el.dataset.tiles) {
      L.tileLayer(el.dataset.tiles, { maxZoom: 19, attribution: el.dataset.tilesAttribution || "" }).addTo(map);
    }
    return map;
  }

  function loadJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } }).then(function (r) {
      if (!r.ok) { throw new Error(r.status); }
      return r.json();
    });
  }

  function drawGrids(map, url) {
    return loadJSON(url).then(function (data) {
      var layer = L.geoJSON(data, { style: GRID_STYLE, interactive: false }).addTo(map);
      layer.eachLayer(function (item) {
        var name = item.feature && item.feature.properties && item.feature.properties.name;
        if (name) { item.bindTooltip(name, { sticky: true }); }
      });
      return layer;
    });
  }

  // The case page: one pin on the case's point, over the grids, framed on the case's own grid.
  var caseEl = document.getElementById("case-map");
  if (caseEl) {
    var point = [parseFloat(caseEl.dataset.lat), parseFloat(caseEl.dataset.lon)];
    var caseMap = newMap(caseEl).setView(point, 13);
    L.marker(point, { title: caseEl.getAttribute("aria-label") || "", alt: caseEl.dataset.state || "" }).addTo(caseMap);
    drawGrids(caseMap, caseEl.dataset.grids).then(function (layer) {
      layer.eachLayer(function (item) {
        if (item.feature.properties.code === caseEl.dataset.grid) {
          item.setStyle({ color: "#b42318", weight: 2 });
          caseMap.fitBounds(item.getBounds(), { padding: [12, 12], maxZoom: 17, animate: false });
        }
      });
    }).catch(function () {}).then(function () { caseEl.classList.add("map-ready"); });
  }

  // The map page: open cases as coloured circles over the grids of the user's scope, framed on both.
  var allEl = document.getElementById("cases-map");
  if (allEl) {
    var map = newMap(allEl).setView([30.6, 114.3], 8);
    var grids = drawGrids(map, allEl.dataset.grids).catch(function () { return null; });
    var cases = loadJSON(allEl.dataset.cases).then(function (data) {
      var layer = L.geoJSON(data, {
        pointToLayer: function (feature, latlng) {
          var p = feature.properties;
          return L.circleMarker(latlng, {
            radius: 8, weight: p.deadline === "red" ? 3 : 1, color: p.deadline === "red" ? "#7a0b0b" : "#1f2933",
            fillColor: STATE_COLOURS[p.state] || "#3e4c59", fillOpacity: 0.9, className: "case-marker state-" + p.state
          });
        },
        onEachFeature: function (feature, item) {
          var p = feature.properties, box = document.createElement("div"), link = document.createElement("a");
          link.href = p.url; link.textContent = p.number;
          var title = document.createElement("div"); title.textContent = p.title;
          var state = document.createElement("div"); state.textContent = p.state_label;
          box.appendChild(link); box.appendChild(title); box.appendChild(state);
          item.bindPopup(box);
        }
      }).addTo(map);
      var count = document.getElementById("map-count");
      if (count) { count.textContent = count.dataset.template.replace("%(n)s", String(data.features.length)); }
      return layer;
    }).catch(function () { return null; });
    Promise.all([grids, cases]).then(function (layers) {
      var bounds = L.latLngBounds([]);
      layers.forEach(function (layer) { if (layer && layer.getBounds().isValid()) { bounds.extend(layer.getBounds()); } });
      if (bounds.isValid()) { map.fitBounds(bounds, { padding: [16, 16], maxZoom: 16, animate: false }); }
      allEl.classList.add("map-ready");
    });
  }

  // The intake form: tap the map (or use the phone's location) to fill in longitude and latitude.
  var pickEl = document.getElementById("pick-map");
  if (pickEl) {
    var lon = document.getElementById("id_lon"), lat = document.getElementById("id_lat");
    var pickMap = newMap(pickEl).setView([30.6, 114.3], 8), picked = null;
    function place(latlng) {
      if (picked) { picked.setLatLng(latlng); } else { picked = L.marker(latlng).addTo(pickMap); }
      lon.value = latlng.lng.toFixed(6); lat.value = latlng.lat.toFixed(6);
    }
    drawGrids(pickMap, pickEl.dataset.grids).then(function (layer) {
      if (layer.getBounds().isValid()) { pickMap.fitBounds(layer.getBounds()); }
      if (lon.value && lat.value) { place(L.latLng(parseFloat(lat.value), parseFloat(lon.value))); }
    }).catch(function () {});
    pickMap.on("click", function (e) { place(e.latlng); });
    var here = document.getElementById("use-location");
    if (here && navigator.geolocation) {
      here.addEventListener("click", function () {
        navigator.geolocation.getCurrentPosition(function (pos) {
          var latlng = L.latLng(pos.coords.latitude, pos.coords.longitude);
          place(latlng); pickMap.setView(latlng, 15);
        });
      });
    } else if (here) { here.hidden = true; }
  }
})();
