"""A local Slack-like webhook receiver for tests: fails the first N posts with 500, records the rest."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Receiver:
    def __init__(self, fail_first: int = 0, status: int = 500) -> None:
        self.fail_first = fail_first
        self.status = status
        self.posts: list[dict] = []
        self.calls = 0
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver.lock:
                    receiver.calls += 1
                    fail = receiver.calls <= receiver.fail_first
                    if not fail:
                        receiver.posts.append(json.loads(body))
                self.send_response(receiver.status if fail else 200)
                self.end_headers()
                self.wfile.write(b"no" if fail else b"ok")

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook/secret"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "Receiver":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
