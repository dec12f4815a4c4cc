namespace Calltracking.Edge.NumberPool.Site;

/// <summary>
/// The substitution script sites embed: <c>&lt;script src="https://edge/site/counter.js" data-project="ID"&gt;</c>.
/// It creates (or reuses, per browser session) a visit with the page's traffic data, asks for a number, writes it
/// into the elements named by the script's CSS selectors, and sends heartbeats while the page is visible so the
/// visit keeps its number.
/// </summary>
internal static class CounterScript
{
    public const string Source = """
        (function () {
          "use strict";
          var tag = document.currentScript;
          if (!tag) { return; }
          var project = tag.getAttribute("data-project");
          var base = tag.src.replace(/\/site\/counter\.js.*$/, "");
          var storeKey = "ct_visit_" + project;
          function post(path, body) {
            return fetch(base + path + "?project=" + encodeURIComponent(project), {
              method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body), keepalive: true
            }).then(function (r) { return r.json(); });
          }
          function param(name) { return new URLSearchParams(location.search).get(name); }
          function visit() {
            var known = sessionStorage.getItem(storeKey);
            if (known) { return Promise.resolve(known); }
            return post("/site/visit", {
              referrer: document.referrer || null, landing_page: location.href, domain: location.hostname,
              marker: param("roistat") || param("rs") || null,
              utm_source: param("utm_source"), utm_medium: param("utm_medium"), utm_campaign: param("utm_campaign"),
              utm_term: param("utm_term"), utm_content: param("utm_content")
            }).then(function (r) { sessionStorage.setItem(storeKey, r.visit_id); return r.visit_id; });
          }
          function show(number) {
            if (!number || !number.phone) { return; }
            (number.css_selector || []).forEach(function (selector) {
              document.querySelectorAll(selector).forEach(function (el) {
                el.textContent = number.formatted;
                if (el.tagName === "A") { el.href = "tel:+" + number.phone; }
              });
            });
          }
          visit().then(function (id) {
            return post("/site/number", { visit_id: Number(id) }).then(function (number) {
              show(number);
              var every = (number.heartbeat_seconds || 50) * 1000;
              setInterval(function () {
                if (document.visibilityState === "visible") { post("/site/heartbeat", { visit_id: Number(id) }); }
              }, every);
            });
          });
        })();
        """;
}
