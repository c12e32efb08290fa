/* Draw the book's altair charts (written by mlbio.altair) with the Vega bundle that the site
 * serves itself (_static/vendor/vega/vega-bundle.js, loaded before this file).
 * Each chart is a <div class="mlbio-vega"> holding its Vega-Lite spec as JSON and an empty
 * view. The div records the outcome in data-rendered ("true" or "error") for the site's tests. */
(function () {
  "use strict";

  function drawOne(box) {
    if (box.dataset.rendered) {
      return;
    }
    var specNode = box.querySelector("script.mlbio-vega-spec");
    var view = box.querySelector(".mlbio-vega-view");
    if (!specNode || !view) {
      return;
    }
    var options = {
      renderer: "svg",
      // Export as SVG/PNG (made in the browser); no "open in editor" (a third-party site).
      actions: { export: true, source: false, compiled: false, editor: false },
    };
    var fail = function (err) {
      box.dataset.rendered = "error";
      view.textContent = "This chart could not be drawn: " + err;
      console.error("mlbio chart", box.id, err);
    };
    if (typeof window.vegaEmbed !== "function") {
      fail("the Vega library did not load");
      return;
    }
    var spec;
    try {
      spec = JSON.parse(specNode.textContent);
    } catch (err) {
      fail(err);
      return;
    }
    window.vegaEmbed(view, spec, options).then(function () {
      // Vega-Embed's menu button is an icon only: give it a name screen readers can announce.
      view.querySelectorAll("details > summary").forEach(function (summary) {
        summary.setAttribute("aria-label", "Chart menu: save as SVG or PNG");
        summary.setAttribute("title", "Save the chart as SVG or PNG");
      });
      box.dataset.rendered = "true";
    }, fail);
  }

  function drawAll() {
    document.querySelectorAll("div.mlbio-vega").forEach(drawOne);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
