"""A tiny threaded HTTP file server on 127.0.0.1 for download tests: Range requests and injected faults."""
from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Served:
    """A file the server sends, with the faults to inject."""

    data: bytes
    truncate_after: int | None = None   # close the connection after this many body bytes ...
    truncations: int = 1                # ... on this many requests, then serve normally
    corrupt: bool = False               # send the bytes with the middle one flipped
    ignore_range: bool = False          # answer Range requests with the whole file (status 200)


class _Handler(BaseHTTPRequestHandler):
    server: "_Server"

    def log_message(self, *args):       # keep test output clean
        pass

    def do_GET(self):
        files: FileServer = self.server.files
        files.requests.append((self.path, self.headers.get("Range")))
        served = files.served.get(self.path)
        if served is None:
            self.send_error(404)
            return
        body = served.data
        if served.corrupt:
            middle = len(body) // 2
            body = body[:middle] + bytes([body[middle] ^ 0xFF]) + body[middle + 1:]
        start = 0
        asked = re.fullmatch(r"bytes=(\d+)-", self.headers.get("Range") or "")
        if asked and not served.ignore_range:
            start = int(asked.group(1))
            if start >= len(body):
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(body)}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
        else:
            self.send_response(200)
        self.send_header("Content-Length", str(len(body) - start))
        self.end_headers()
        if served.truncate_after is not None and served.truncations > 0:
            served.truncations -= 1
            self.wfile.write(body[start:start + served.truncate_after])
            self.close_connection = True
            return
        self.wfile.write(body[start:])


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    files: "FileServer"


class FileServer:
    """``with FileServer() as server: url = server.add("/x.gz", data, truncate_after=100)``.

    ``requests`` lists every request as (path, Range header or None); unknown paths get 404.
    """

    def __init__(self):
        self.served: dict[str, Served] = {}
        self.requests: list[tuple[str, str | None]] = []
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.files = self
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02},
                                        daemon=True)

    def url(self, path: str) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}{path}"

    def add(self, path: str, data: bytes, **faults) -> str:
        """Serve ``data`` at ``path`` (faults: see :class:`Served`); returns its URL."""
        self.served[path] = Served(data, **faults)
        return self.url(path)

    def __enter__(self) -> "FileServer":
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
