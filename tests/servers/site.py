"""A small HTTP server for site imitations: each site answers (method, path, query, form,
headers) and keeps a log of what it received."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar, Self
from urllib.parse import parse_qs, urlparse

from tests.paths import require_samples

# status, body, content type and, optionally, extra response headers (Location, Set-Cookie)
Reply = tuple[int, bytes, str] | tuple[int, bytes, str, dict[str, str]]
Form = dict[str, list[str]]


@dataclass
class Received:
    method: str
    path: str
    query: Form
    form: Form
    headers: dict[str, str] = field(default_factory=dict)  # request headers, names title-cased

    def one(self, name: str) -> str:
        """The single value of a query or form field ('' when absent)."""
        values = self.form.get(name) or self.query.get(name) or [""]
        return values[0]


@dataclass
class Site:
    """Base of an imitated site: subclasses implement ``answer``; ``samples`` names the files of
    tests/fixtures/samples/ its replies are built from."""

    samples: ClassVar[tuple[str, ...]] = ()
    requests: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        require_samples(self.samples)

    def answer(self, request: Received) -> Reply:
        raise NotImplementedError

    def received(self, path: str) -> list[Received]:
        with self.lock:
            return [r for r in self.requests if r.path == path]


def not_found() -> Reply:
    return 404, b"<html><title>404</title></html>", "text/html"


class ClosingHandler(BaseHTTPRequestHandler):
    """HTTP/1.0, as the stdlib answers, and saying so: ``Connection: close`` on every response.
    Without it Twisted (Scrapy's client) pools the connection this server is closing, and on a
    loaded machine sends the next request on it: ConnectionDone, and a retry the test did not
    ask for."""

    def end_headers(self) -> None:
        self.send_header("Connection", "close")
        super().end_headers()


class _Handler(ClosingHandler):
    site: Site

    def log_message(self, *args: Any) -> None:
        pass

    def _serve(self, form: Form) -> None:
        url = urlparse(self.path)
        query = parse_qs(url.query, keep_blank_values=True)
        headers = {name.title(): value for name, value in self.headers.items()}
        request = Received(self.command, url.path, query, form, headers)
        with self.site.lock:
            self.site.requests.append(request)
        status, body, content_type, *extra = self.site.answer(request)
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        for name, value in (extra[0] if extra else {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        self._serve({})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self._serve(parse_qs(self.rfile.read(length).decode(), keep_blank_values=True))


class _Server(ThreadingHTTPServer):
    request_queue_size = 256  # the default 5 drops connections under load: TCP then waits seconds
    daemon_threads = True


class LocalServer:
    """Serve a request handler class on 127.0.0.1 in a thread, as a context manager; ``url`` is
    its base URL. The thread is stopped on exit."""

    def __init__(self, handler: type[BaseHTTPRequestHandler]):
        self.httpd = _Server(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> Self:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=10)


class SiteServer(LocalServer):
    """Serve a Site."""

    def __init__(self, site: Site):
        self.site = site
        super().__init__(type("Handler", (_Handler,), {"site": site}))
