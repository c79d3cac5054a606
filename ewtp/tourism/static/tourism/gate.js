// The gate's offline check: a voucher's Ed25519 signature against the published key set,
// in the browser, picking the key by the id (kid) the voucher names; retired keys included.
(function () {
  "use strict";
  var field = document.getElementById("token"), out = document.getElementById("offline");
  if (!field || !out) return;
  var say = out.dataset, keys = null;
  function b64(text) { text = text.replace(/-/g, "+").replace(/_/g, "/"); while (text.length % 4) text += "=";
    return Uint8Array.from(atob(text), function (c) { return c.charCodeAt(0); }); }
  // The key set came with the page (kept for offline use); refresh it when online.
  var embedded = JSON.parse(document.getElementById("ewtp-keys").textContent);
  function merge(a, b) { return {keys: (a.keys || []).concat((b.keys || []).filter(function (k) {
    return !(a.keys || []).some(function (j) { return j.kid === k.kid; }); }))}; }
  function loadKeys() {
    if (keys) return Promise.resolve(keys);
    var cached = JSON.parse(localStorage.getItem("ewtp-keys") || '{"keys": []}');
    return fetch("/.well-known/ewtp-keys.json").then(function (r) { if (!r.ok) throw r; return r.json(); })
      .then(function (set) { localStorage.setItem("ewtp-keys", JSON.stringify(set)); return keys = merge(set, embedded); })
      .catch(function () { return keys = merge(embedded, cached); });
  }
  function check() {
    var parts = field.value.trim().split(".");
    out.textContent = "";
    if (parts.length !== 2 || !window.crypto || !crypto.subtle) return;
    var payload;
    try { payload = JSON.parse(new TextDecoder().decode(b64(parts[0]))); } catch (e) { out.textContent = say.notVoucher; return; }
    loadKeys().then(function (set) {
      var key = (set.keys || []).filter(function (k) { return k.kid === payload.kid; })[0];
      if (!key) { out.textContent = say.unknownKey; return; }
      return crypto.subtle.importKey("jwk", {kty: "OKP", crv: "Ed25519", x: key.x}, {name: "Ed25519"}, false, ["verify"])
        .then(function (k) { return crypto.subtle.verify({name: "Ed25519"}, k, b64(parts[1]), new TextEncoder().encode(parts[0])); })
        .then(function (ok) {
          out.textContent = ok ? say.valid + " " + payload.date + ", " + payload.names.join(", ") : say.forged;
        });
    }).catch(function () {});
  }
  field.addEventListener("input", check);
  check();
  // Camera scanning where the browser has a barcode detector.
  if ("BarcodeDetector" in window && navigator.mediaDevices) {
    var button = document.getElementById("scan"), video = document.getElementById("camera");
    button.hidden = false;
    button.addEventListener("click", function () {
      var detector = new BarcodeDetector({formats: ["qr_code"]});
      navigator.mediaDevices.getUserMedia({video: {facingMode: "environment"}}).then(function (stream) {
        video.srcObject = stream; video.hidden = false; video.play();
        (function look() {
          detector.detect(video).then(function (codes) {
            if (codes.length) { stream.getTracks().forEach(function (t) { t.stop(); }); video.hidden = true;
              field.value = codes[0].rawValue; check(); htmx.trigger("#gate-form", "submit"); }
            else requestAnimationFrame(look);
          });
        })();
      });
    });
  }
  document.body.addEventListener("htmx:afterSwap", function () { field.value = ""; field.focus(); out.textContent = ""; });
})();
