namespace Calltracking.Edge.NumberPool.Site;

/// <summary>
/// The substitution script sites embed: <c>&lt;script src="https://edge/site/counter.js" data-project="ID"&gt;</c>.
/// It creates a visit with the page's traffic data (or reuses the one in its first-party cookie), asks for a number,
/// writes it formatted into the elements named by the script's CSS selectors and over any text or <c>tel:</c> link
/// showing one of the script's numbers, and sends heartbeats while the page is visible so the visit keeps its
/// number. The script's selector and numbers are kept in <c>localStorage</c> by version, so only the first page view
/// (or the first after they change) downloads them. When the edge does not answer, the page is left as it is.
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
          var cookie = "ct_visit_" + project;
          function post(path, body) {
            return fetch(base + path + "?project=" + encodeURIComponent(project), {
              method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body), keepalive: true
            }).then(function (r) { if (!r.ok) { throw new Error("edge answered " + r.status); } return r.json(); });
          }
          function param(name) { return new URLSearchParams(location.search).get(name); }
          function known() {
            var m = document.cookie.match(new RegExp("(?:^|; )" + cookie + "=(\\d+)"));
            return m ? m[1] : null;
          }
          function visit() {
            var id = known();
            if (id) { return Promise.resolve(id); }
            return post("/site/visit", {
              referrer: document.referrer || null, landing_page: location.href, domain: location.hostname,
              marker: param("roistat") || param("rs") || null,
              utm_source: param("utm_source"), utm_medium: param("utm_medium"), utm_campaign: param("utm_campaign"),
              utm_term: param("utm_term"), utm_content: param("utm_content")
            }).then(function (r) {
              // A first-party cookie: the same browser keeps its visit (and so its number) across pages and days.
              document.cookie = cookie + "=" + r.visit_id + "; path=/; max-age=2592000; SameSite=Lax";
              return r.visit_id;
            });
          }
          function tail(text) { return (text || "").replace(/\D/g, "").slice(-10); }
          function show(number) {
            if (!number || !number.phone) { return; }
            var tel = "tel:+" + number.phone;
            (number.css_selector || []).forEach(function (selector) {
              document.querySelectorAll(selector).forEach(function (el) {
                el.textContent = number.formatted;
                if (el.tagName === "A") { el.href = tel; }
              });
            });
            var wanted = {};
            (number.replaceable_numbers || []).forEach(function (n) { wanted[tail(n)] = true; });
            if (Object.keys(wanted).length === 0) { return; }
            // Text that shows one of the script's numbers, in whatever format the site wrote it.
            var walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT, null);
            var pattern = /\+?\d[\d\s().\-]{5,}\d/g;
            var node;
            while ((node = walker.nextNode())) {
              var text = node.nodeValue;
              var replaced = text.replace(pattern, function (m) { return wanted[tail(m)] ? number.formatted : m; });
              if (replaced !== text) { node.nodeValue = replaced; }
            }
            document.querySelectorAll("a[href^='tel:']").forEach(function (a) {
              if (wanted[tail(a.getAttribute("href"))]) { a.href = tel; }
            });
          }
          // The script's selector and numbers are kept in the browser's storage by version: a page view after the first
          // names the version it holds and the answer leaves them out.
          var store = "ct_numbers_" + project;
          function kept() { try { return JSON.parse(localStorage.getItem(store) || "null"); } catch (e) { return null; } }
          visit().then(function (id) {
            var held = kept();
            return post("/site/number", { visit_id: Number(id), numbers_version: held ? held.version : null }).then(function (number) {
              if (number && number.replaceable_numbers) {
                try {
                  localStorage.setItem(store, JSON.stringify({
                    version: number.numbers_version, css_selector: number.css_selector, replaceable_numbers: number.replaceable_numbers
                  }));
                } catch (e) { /* no storage: every page view gets the list */ }
              } else if (number && held && held.version === number.numbers_version) {
                number.css_selector = held.css_selector;
                number.replaceable_numbers = held.replaceable_numbers;
              }
              show(number);
              if (!number || !number.phone) { return; }
              var every = (number.heartbeat_seconds || 50) * 1000;
              setInterval(function () {
                if (document.visibilityState === "visible") { post("/site/heartbeat", { visit_id: Number(id) }).catch(function () {}); }
              }, every);
            });
          }).catch(function () {
            // The edge did not answer: the page stays exactly as the site wrote it.
          });
        })();
        """;
}
