// Puts a live Liveblog story on any page:
//   <script async src="https://liveblog.example/static/embed.js" data-story="my-story"></script>
// Each such script gets an iframe of the story's embed page right after it. The frame
// reports its height with postMessage; we believe only messages from that frame's window
// and from the origin this script came from. Several embeds (even from several Liveblog
// sites) may share one page: one message listener serves them all.
// It stays a classic script, since host pages include it with a classic <script async>.
(function () {
  "use strict";

  // What it shows a person (static/text.js holds the page modules' sentences).
  var TEXT = { frameTitle: "Live updates" };

  var registry = window.__liveblogEmbeds;
  if (!registry) {
    registry = window.__liveblogEmbeds = [];
    window.addEventListener("message", function (e) {
      var data = e.data;
      if (!data || data.liveblog !== "height" || typeof data.height !== "number") return;
      for (var i = 0; i < registry.length; i++) {
        var entry = registry[i];
        if (entry.origin === e.origin && entry.frame.contentWindow === e.source) {
          entry.frame.style.height = Math.max(50, Math.min(Math.round(data.height), 50000)) + "px";
          return;
        }
      }
    });
  }

  function known(frame) {
    for (var i = 0; i < registry.length; i++) if (registry[i].frame === frame) return true;
    return false;
  }

  function originOf(url) {
    var a = document.createElement("a");
    a.href = url;
    return a.protocol + "//" + a.host;
  }

  var script = document.currentScript;
  var origin = originOf(script ? script.src : "");

  // Our scripts: build their frames. An async script may run after later ones were added,
  // so each run also picks up any sibling snippet that has not been handled yet.
  var scripts = document.querySelectorAll("script[data-story]");
  for (var i = 0; i < scripts.length; i++) {
    var tag = scripts[i];
    var slug = tag.getAttribute("data-story");
    if (tag.__liveblogFrame || !/\/static\/embed\.js(\?|$)/.test(tag.src) || !/^[a-z0-9-]+$/.test(slug || "")) continue;
    var from = originOf(tag.src);
    var frame = document.createElement("iframe");
    var height = tag.getAttribute("data-height");
    frame.src = from + "/stories/" + slug + "/embed" + (/^[0-9]{1,5}$/.test(height || "") ? "?height=" + height : "");
    frame.title = tag.getAttribute("data-title") || TEXT.frameTitle;
    frame.setAttribute("allow", "clipboard-write");
    frame.setAttribute("data-liveblog-embed", slug);
    frame.style.cssText = "display:block;width:100%;border:0;height:480px";
    tag.__liveblogFrame = frame;
    tag.parentNode.insertBefore(frame, tag.nextSibling);
    registry.push({ frame: frame, origin: from });
  }

  // Frames pasted from our oEmbed answer: adopt those from this script's origin.
  var pasted = document.querySelectorAll("iframe[data-liveblog-embed]");
  for (var j = 0; j < pasted.length; j++) {
    if (!known(pasted[j]) && originOf(pasted[j].src) === origin) registry.push({ frame: pasted[j], origin: origin });
  }
})();
