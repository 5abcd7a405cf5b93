"""Class mode's two pages, served by the class middleware (server/class_api.py) beside its JSON routes, and the QR
code of a room's join link:

    GET /class/student     a student's phone: join with the code, answer, see the reveal      (no Gradio)
    GET /class/lecturer    the lecturer's console: start a class, the code and QR, the histogram, reveal, move on
    GET /class/qr.svg?code=CODE      the QR code of <this server>/?join=CODE, drawn as SVG (segno, pure Python)
    GET /class/<asset>     the pages' script and style (server/assets/class/)

The pages are plain files: nothing of a request is written into them (the code and the secret are read by their
script from the address), and their script puts every question and answer in the page as text, never as HTML. The
Content-Security-Policy sent with them allows only this server's own script and style, so even a slip cannot run an
injected one.
"""
import io
from pathlib import Path

import segno

from core.classroom import read_code

ASSETS = Path(__file__).with_name("assets") / "class"
PAGES = {"student": "Class · Deep Learning Explorer", "lecturer": "Class console · Deep Learning Explorer"}
ASSET_KINDS = {"class.css": "css", "class.js": "js", "student.js": "js", "lecturer.js": "js"}
CONTENT_TYPES = {
    "json": b"application/json",
    "csv": b"text/csv; charset=utf-8",
    "html": b"text/html; charset=utf-8",
    "css": b"text/css; charset=utf-8",
    "js": b"text/javascript; charset=utf-8",
    "svg": b"image/svg+xml",
}
POLICY = (b"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
          b"base-uri 'none'; form-action 'self'; frame-ancestors 'self'")


def page_file(action: str) -> tuple[str, str]:
    """(text, kind) of a page (its own part, <page>.html, inside the frame both share, page.html) or an asset;
    LookupError for any other name. Nothing of the request goes into them."""
    if action in PAGES:
        frame = (ASSETS / "page.html").read_text(encoding="utf-8")
        main = (ASSETS / f"{action}.html").read_text(encoding="utf-8")
        return frame.format(title=PAGES[action], page=action, main=main), "html"
    kind = ASSET_KINDS[action]                     # first: only these names are ever read
    return (ASSETS / action).read_text(encoding="utf-8"), kind


def join_link(scope: dict, code: str) -> str:
    """<scheme>://<host><the app's base path>/?join=CODE, as the phones in the room reach this server (a proxy in
    front says its scheme and host in X-Forwarded-Proto / X-Forwarded-Host)."""
    headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
    scheme = headers.get("x-forwarded-proto", scope.get("scheme", "http")).split(",")[0].strip()
    host = headers.get("x-forwarded-host", headers.get("host", "localhost")).split(",")[0].strip()
    base = scope.get("path", "").rsplit("/class/", 1)[0]
    return f"{scheme}://{host}{base}/?join={read_code(code)}"


def qr_svg(link: str) -> str:
    """The QR code of `link` as an SVG that scales to its box (no width or height), dark on white, with a quiet
    zone of two modules."""
    out = io.BytesIO()
    segno.make(link, error="m").save(out, kind="svg", scale=1, border=2, xmldecl=False, omitsize=True,
                                     dark="#111", light="#fff", title=link)
    return out.getvalue().decode()


def headers_for(kind: str) -> list[tuple[bytes, bytes]]:
    """The content type, and for a page its policy: only this server's script and style run there."""
    headers = [(b"content-type", CONTENT_TYPES[kind])]
    if kind == "html":
        headers += [(b"content-security-policy", POLICY), (b"referrer-policy", b"no-referrer"),
                    (b"x-content-type-options", b"nosniff")]
    if kind == "csv":
        headers.append((b"content-disposition", b'attachment; filename="class-results.csv"'))
    return headers
