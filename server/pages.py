"""Links open their page already in the state they name, in one round trip (docs/benchmarks.md, "Fast pages").

Each panel is a page of its own (`/neuron`, `/attention`, ...). A link's settings (`/neuron?f=relu&b=2`) are put into
the page itself, as the values its controls start with, so the browser draws the linked view once and nothing in
its default state first. Gradio already serves a page in a saved state: `?deep_link=<key>` makes it read the
page's components from `<upload dir>/deep_links/<key>/state.json` (what its own "share this view" button writes).
This middleware writes that file for a link's settings (once per distinct link, at most MAX_STATES kept) and adds
the key to the request, so Gradio serves the page with those values. Old links to the one-page app
(`/?panel=attention&layer=3`, `/?tour=series&stop=9`) are redirected to the page that holds the panel, and so are
links to a renamed panel's old page (`/facts?layer=20` -> `./residual?layer=20`), their query kept.

The app says what a link means through two functions (server/ knows nothing of the panels):
- page_for(path, query) -> the page that should serve this query ('' for the landing page), or None: serve it here;
  for a path that is no page, the page that took its name, or None;
- state_for(page, query) -> {component id: {prop: value}} to set on that page's components (may be empty).
"""
import hashlib
import json
import shutil
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

import orjson

MAX_STATES = 400          # distinct linked pages kept on disk (a page's state is its components' config, ~10-80 kB)


class LinkedPages:
    """ASGI middleware (added through launch(app_kwargs={"middleware": [...]}))."""

    def __init__(self, app, pages, page_for, state_for):
        self.app, self.pages, self.page_for, self.state_for = app, set(pages), page_for, state_for
        self.builds = {}                            # page -> a digest of its config, computed once

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope["method"] in ("GET", "HEAD"):
            page = scope["path"].strip("/")
            known = page == "" or page in self.pages
            if known or "/" not in page:                # a page, or a name that may be a renamed page's old one
                query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True))
                query.pop("deep_link", None)            # only this middleware names a saved state
                target = self.page_for(page, query) if query or not known else None
                if target is not None and target != page:
                    await redirect(send, f"./{target}" + (f"?{urlencode(query)}" if query else ""))
                    return
                if known and query:
                    scope = self.with_state(scope, page, query)
        await self.app(scope, receive, send)

    def with_state(self, scope, page: str, query: dict):
        patches = self.state_for(page, query)
        if not patches:
            return scope
        gradio_app = scope["app"]
        config = gradio_app.get_blocks().config
        ids = set(config["page"][page]["components"])
        if page not in self.builds:     # a state saved by another build of the app (other ids) must not be served
            page_components = [c for c in config["components"] if c["id"] in ids]
            self.builds[page] = hashlib.sha256(orjson.dumps(page_components, default=str)).hexdigest()
        key = hashlib.sha256(json.dumps([self.builds[page], page, patches], sort_keys=True,
                                        default=str).encode()).hexdigest()[:40]
        folder = Path(gradio_app.uploaded_file_dir) / "deep_links"
        path = folder / f"dle{key}" / "state.json"
        if not path.exists():
            components = [patched(c, patches.get(c["id"])) for c in config["components"] if c["id"] in ids]
            path.parent.mkdir(parents=True, exist_ok=True)
            # as Gradio writes its own saved states (orjson: a State's infinite time to live becomes null, as in the
            # config it embeds in a page; json.dumps would write Infinity, which Gradio's reader refuses)
            path.write_bytes(orjson.dumps(components, option=orjson.OPT_SERIALIZE_NUMPY, default=str))
            forget_oldest(folder, MAX_STATES)
        query_string = scope.get("query_string", b"") + f"&deep_link=dle{key}".encode()
        return {**scope, "query_string": query_string}


def patched(component: dict, patch: dict | None) -> dict:
    return component if not patch else {**component, "props": {**component["props"], **patch}}


def forget_oldest(folder: Path, keep: int) -> None:
    """Drop the states of the least recently written links beyond `keep` (a link asked again is written again)."""
    states = sorted((p for p in folder.glob("dle*") if p.is_dir()), key=lambda p: p.stat().st_mtime)
    for old in states[:-keep]:
        shutil.rmtree(old, ignore_errors=True)


async def redirect(send, location: str) -> None:
    await send({"type": "http.response.start", "status": 307,
                "headers": [(b"location", location.encode("latin-1", "replace")), (b"content-length", b"0")]})
    await send({"type": "http.response.body", "body": b""})
