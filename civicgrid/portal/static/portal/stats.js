/* Public statistics: fetch the aggregates and draw them with ECharts (served locally, no CDN); the tables
   show the same numbers when charts cannot load. */
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("stats-config").textContent);
  var T = config.text;
  var form = document.getElementById("stats-filters");
  var charts = {};
  function chart(id) {
    if (!window.echarts) return null;
    if (!charts[id]) charts[id] = window.echarts.init(document.getElementById(id));
    return charts[id];
  }
  function pct(v) { return v === null || v === undefined ? "–" : (v * 100).toFixed(1) + "%"; }
  function table(id, rows) {
    var t = document.getElementById(id); t.textContent = "";
    var head = t.insertRow(); [T.name, T.received, T.closed].forEach(function (h) { var th = document.createElement("th"); th.textContent = h; head.appendChild(th); });
    rows.forEach(function (r) { var tr = t.insertRow(); [r.name, r.received, r.closed].forEach(function (v) { tr.insertCell().textContent = v; }); });
  }
  function bars(id, rows) {
    var c = chart(id); if (!c) return;
    c.setOption({tooltip: {}, legend: {}, grid: {left: 100}, xAxis: {type: "value"},
      yAxis: {type: "category", data: rows.map(function (r) { return r.name; })},
      series: [{name: T.received, type: "bar", data: rows.map(function (r) { return r.received; })},
               {name: T.closed, type: "bar", data: rows.map(function (r) { return r.closed; })}]}, true);
  }
  function load() {
    var params = new URLSearchParams(new FormData(form));
    fetch(config.dataUrl + "?" + params.toString()).then(function (r) { return r.json(); }).then(function (d) {
      document.getElementById("kpi-received").textContent = d.totals.received;
      document.getElementById("kpi-closed").textContent = d.totals.closed;
      document.getElementById("kpi-on-time").textContent = pct(d.on_time_rate);
      document.getElementById("kpi-satisfaction").textContent = pct(d.satisfaction_rate);
      var c = chart("chart-months");
      if (c) c.setOption({tooltip: {trigger: "axis"}, legend: {}, xAxis: {type: "category", data: d.months}, yAxis: {type: "value"},
        series: [{name: T.received, type: "line", data: d.series.received}, {name: T.closed, type: "line", data: d.series.closed},
                 {name: T.onTime, type: "bar", data: d.series.on_time}]}, true);
      bars("chart-towns", d.by_town.slice(0, 20)); bars("chart-categories", d.by_category.slice(0, 20));
      table("table-towns", d.by_town); table("table-categories", d.by_category);
      document.body.dataset.statsLoaded = "1";
    });
  }
  form.addEventListener("change", load);
  window.addEventListener("resize", function () { Object.keys(charts).forEach(function (k) { charts[k].resize(); }); });
  load();
})();
