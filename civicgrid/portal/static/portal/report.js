/* The three-step report form: map pin (grid polygons as the base layer, optional tiles), category search
   with the category's own questions, nearby open cases ("is it one of these?"). Without JavaScript the
   form still works as one long page. Text from the server is only ever set with textContent. */
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("portal-config").textContent);
  var categories = JSON.parse(document.getElementById("portal-categories").textContent);
  var T = config.text;
  var form = document.getElementById("report-form");
  var steps = Array.prototype.slice.call(form.querySelectorAll("fieldset.step"));
  var lon = document.getElementById("lon"), lat = document.getElementById("lat");
  var address = document.getElementById("address");
  var current = 1;

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function say(message) {
    var box = document.getElementById("form-error");
    if (!box) { box = el("p", {id: "form-error", "class": "error", role: "alert"}); form.parentNode.insertBefore(box, form); }
    box.textContent = message;
  }
  function show(n) {
    current = n;
    steps.forEach(function (s) { s.hidden = Number(s.dataset.step) !== n; });
    document.querySelectorAll(".steps li").forEach(function (li) { li.classList.toggle("active", Number(li.dataset.step) === n); });
    if (n === 1 && map) setTimeout(function () { map.invalidateSize(); }, 0);
    if (n === 3) loadNearby();
    window.scrollTo(0, 0);
  }
  function chosen() { var r = form.querySelector("input[name=category]:checked"); return r ? r.value : ""; }
  function valid(n) {
    if (n === 1 && !lon.value && !address.value.trim()) { say(T.needPlace); return false; }
    if (n === 2 && !chosen()) { say(T.needCategory); return false; }
    var box = document.getElementById("form-error"); if (box) box.textContent = "";
    return true;
  }
  form.querySelectorAll("button.next").forEach(function (b) { b.addEventListener("click", function () { if (valid(current)) show(current + 1); }); });
  form.querySelectorAll("button.back").forEach(function (b) { b.addEventListener("click", function () { show(current - 1); }); });

  /* --- map --- */
  var map = null, marker = null;
  function place(lonValue, latValue) {
    lon.value = lonValue.toFixed(6); lat.value = latValue.toFixed(6);
    if (marker) marker.setLatLng([latValue, lonValue]); else marker = L.marker([latValue, lonValue]).addTo(map);
    document.getElementById("pin-status").textContent = T.located + lat.value + ", " + lon.value;
  }
  if (window.L) {
    map = L.map("map", {zoomControl: true, attributionControl: false}).setView([32.2, 112.2], 11);
    if (config.tileUrl) L.tileLayer(config.tileUrl, {maxZoom: 19}).addTo(map);
    fetch(config.gridsUrl).then(function (r) { return r.json(); }).then(function (data) {
      var layer = L.geoJSON(data, {
        style: function (f) { return f.properties.level === 2 ? {color: "#1f4e79", weight: 2, fill: false} : {color: "#6b8fb3", weight: 1, fillOpacity: 0.06}; },
        onEachFeature: function (f, l) { l.bindTooltip(f.properties.name, {sticky: true}); l.on("click", function (e) { place(e.latlng.lng, e.latlng.lat); }); }
      }).addTo(map);
      if (layer.getLayers().length) map.fitBounds(layer.getBounds());
      if (lon.value && lat.value) place(Number(lon.value), Number(lat.value));
    }).catch(function () {});
    map.on("click", function (e) { place(e.latlng.lng, e.latlng.lat); });
  }
  document.getElementById("locate").addEventListener("click", function () {
    var status = document.getElementById("pin-status");
    if (!navigator.geolocation) { status.textContent = T.noGeo; return; }
    status.textContent = T.locating;
    navigator.geolocation.getCurrentPosition(function (pos) {
      if (map) { place(pos.coords.longitude, pos.coords.latitude); map.setView([pos.coords.latitude, pos.coords.longitude], 16); }
    }, function () { status.textContent = T.noGeo; }, {enableHighAccuracy: true, timeout: 10000});
  });

  /* --- categories --- */
  var search = document.getElementById("category-search");
  search.addEventListener("input", function () {
    var q = search.value.trim().toLowerCase();
    form.querySelectorAll("label.category").forEach(function (label) {
      label.hidden = q !== "" && label.dataset.search.toLowerCase().indexOf(q) === -1;
    });
  });
  function renderQuestions() {
    var box = document.getElementById("questions");
    box.textContent = "";
    var category = categories.filter(function (c) { return c.code === chosen(); })[0];
    if (!category) return;
    category.questions.forEach(function (q) {
      var id = "q_" + q.code, field;
      var label = el("label", {"for": id}, q.label + (q.required ? " " + T.required : ""));
      box.appendChild(label);
      if (q.datatype === "singlevaluelist") {
        field = el("select", {id: id, name: id});
        field.appendChild(el("option", {value: ""}, T.choose));
        q.values.forEach(function (v) { field.appendChild(el("option", {value: v.key}, v.name)); });
      } else if (q.datatype === "multivaluelist") {
        field = el("fieldset", {id: id, "class": "choices"});
        q.values.forEach(function (v) {
          var l = el("label"); var input = el("input", {type: "checkbox", name: id, value: v.key});
          l.appendChild(input); l.appendChild(document.createTextNode(" " + v.name)); field.appendChild(l);
        });
      } else if (q.datatype === "text") {
        field = el("textarea", {id: id, name: id, rows: "2", maxlength: "4000"});
      } else {
        var type = q.datatype === "number" ? "number" : q.datatype === "datetime" ? "datetime-local" : "text";
        field = el("input", {id: id, name: id, type: type, maxlength: "200", step: "any"});
      }
      if (q.required && field.tagName !== "FIELDSET") field.required = true;
      box.appendChild(field);
    });
  }
  form.querySelectorAll("input[name=category]").forEach(function (r) { r.addEventListener("change", renderQuestions); });
  renderQuestions();

  /* --- nearby open cases --- */
  function loadNearby() {
    var box = document.getElementById("nearby"), list = document.getElementById("nearby-list");
    if (!chosen()) return;
    var params = new URLSearchParams({category: chosen(), text: document.getElementById("description").value});
    if (lon.value && lat.value) { params.set("lon", lon.value); params.set("lat", lat.value); }
    fetch(config.nearbyUrl + "?" + params.toString()).then(function (r) { return r.ok ? r.json() : {candidates: []}; }).then(function (data) {
      list.textContent = "";
      box.hidden = !data.candidates.length;
      data.candidates.forEach(function (c) {
        var li = el("li", {"class": "candidate"});
        li.appendChild(el("strong", {}, c.title));
        var meta = c.state + " · " + c.reported + (c.distance_m !== null ? " · " + c.distance_m + " " + T.metres : "");
        li.appendChild(el("span", {"class": "muted"}, " " + meta + " "));
        var button = el("button", {type: "button", "class": "button metoo", "data-case": c.number}, T.metoo);
        button.addEventListener("click", function () { join(c.number); });
        li.appendChild(button);
        list.appendChild(li);
      });
    }).catch(function () { box.hidden = true; });
  }
  function join(number) {
    var joinForm = document.getElementById("join-form");
    document.getElementById("join-case").value = number;
    ["name", "phone", "email"].forEach(function (n) { joinForm.elements[n].value = form.elements[n].value; });
    joinForm.elements.anonymous.value = document.getElementById("anonymous").checked ? "on" : "";
    joinForm.submit();
  }

  // Wording helps rank the candidates: ask again once the resident has described the problem.
  document.getElementById("description").addEventListener("change", loadNearby);

  /* --- photos --- */
  var photos = document.getElementById("photos");
  photos.addEventListener("change", function () {
    var status = document.getElementById("photo-status"), files = Array.prototype.slice.call(photos.files);
    status.textContent = files.length > config.maxPhotos ? T.tooMany : files.some(function (f) { return f.size > config.photoMaxBytes; }) ? T.tooBig : "";
  });
  form.addEventListener("submit", function (e) {
    if (!valid(1) || !valid(2)) { e.preventDefault(); show(!valid(1) ? 1 : 2); }
  });
  show(form.querySelector("#form-error") ? 3 : 1);
})();
