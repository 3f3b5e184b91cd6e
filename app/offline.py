"""What lets the card open with no signal and sit on a home screen: worker, manifest and logo.

Progressive enhancement only: every page works without any of this. The exit script registers the
worker of the reader's language (`/{lang}/sw.js`, so its scope is that language's pages) after
the page has loaded, so the first visit waits for nothing. The worker keeps a fixed list of
public pages that are the same for everyone (the card, the topics, the statements, the script
and the logo) and nothing else: never the callback form or its answers, the directory, or a
staff page. It asks the network first, so a changed phone number reaches the reader at once,
and answers from its copy only when the network fails.

Also here: the operator's logo as the pages show it.
"""

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.pages import Renderer

LOGO_HEIGHT = 32  # CSS pixels in the page header
# Shown when site.yaml names no readable logo, so pages still render while content-check says why.
BLANK_LOGO = b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 40 40"></svg>'
VIEW_BOX = re.compile(rb'viewBox="\s*[-\d.]+[\s,]+[-\d.]+[\s,]+([\d.]+)[\s,]+([\d.]+)\s*"')
# The worker's own policy: it may fetch from this site only, and run nothing else.
WORKER_CSP = "default-src 'none'; connect-src 'self'"


@dataclass(frozen=True)
class Logo:
    """The operator's SVG logo, served at an address that changes when the file does."""

    svg: bytes
    url: str
    width: int
    height: int

    @classmethod
    def of(cls, path: Path) -> "Logo":
        svg = path.read_bytes() if path.is_file() else BLANK_LOGO
        box = VIEW_BOX.search(svg)
        ratio = float(box[1]) / float(box[2]) if box and float(box[2]) else 1.0
        digest = hashlib.sha256(svg).hexdigest()[:10]
        return cls(
            svg=svg,
            url=f"/static/logo.{digest}.svg",
            width=round(LOGO_HEIGHT * ratio),
            height=LOGO_HEIGHT,
        )


def manifest(renderer: "Renderer", lang: str) -> bytes:
    """The web app manifest of one language: its card, in its words, with the operator's icon."""
    language = renderer.content.languages[lang]
    operator = renderer.content.operator
    name = renderer.plain_gettext[lang]("Consequences card")
    document = {
        "name": f"{name}: {operator.short_name}",
        "short_name": name,
        "lang": lang,
        "dir": language.dir,
        "start_url": f"/{lang}/",
        "scope": f"/{lang}/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": operator.colour,
        "icons": [
            {"src": renderer.logo.url, "sizes": "any", "type": "image/svg+xml", "purpose": "any"}
        ],
    }
    return json.dumps(document, ensure_ascii=False, indent=1).encode()


WORKER = """// Keeps this language's card and topics for reading with no signal (app/offline.py).
"use strict";
var PREFIX = %(prefix)s;
var CACHE = PREFIX + %(version)s;
var PAGES = %(pages)s;
self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE).then(function (cache) {
    return cache.addAll(PAGES);
  }).then(function () { return self.skipWaiting(); }));
});
self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) {
      return name.indexOf(PREFIX) === 0 && name !== CACHE;
    }).map(function (name) { return caches.delete(name); }));
  }).then(function () { return self.clients.claim(); }));
});
self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  // Only the listed pages, asked for plainly: anything else (forms, answers, staff pages) is
  // left to the network and never stored.
  if (request.method !== "GET" || url.origin !== location.origin || url.search ||
      PAGES.indexOf(url.pathname) < 0) return;
  event.respondWith(fetch(request).then(function (response) {
    if (response.ok) {
      var copy = response.clone();
      caches.open(CACHE).then(function (cache) { return cache.put(url.pathname, copy); });
    }
    return response;
  }).catch(function () {
    var kept = {cacheName: CACHE, ignoreVary: true};
    return caches.match(url.pathname, kept).then(function (hit) {
      return hit || Response.error();
    });
  }));
});
"""


def service_worker(lang: str, version: str, pages: list[str]) -> bytes:
    """The worker of one language; a content change changes its bytes, so phones update it."""
    values = {
        "prefix": json.dumps(f"card-{lang}-"),
        "version": json.dumps(version),
        "pages": json.dumps(pages),
    }
    return (WORKER % values).encode()
