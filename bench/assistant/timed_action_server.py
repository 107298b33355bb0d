"""The Marquee action server exactly as `python -m rasa_sdk --actions actions` serves it, plus one timing line
per webhook call, so the benchmark can say how much of a message's latency the actions take.

rasa_sdk serves its Sanic app from a spawned worker process without any log handler, so neither Sanic's
access log nor rasa_sdk's debug log reaches a file. This launcher builds the same app
(`rasa_sdk.endpoint.create_app_for_serve`, same executor, CORS, keep-alive and plugins) and serves it the
same way (`app.prepare` + `Sanic.serve` with rasa_sdk's worker count); the only addition is a response
middleware that appends one JSON line per call to MARQUEE_BENCH_ACTION_TIMINGS: the action, the conversation
(sender), the wall-clock start, the milliseconds spent, the HTTP status and the request and reply sizes.

    .venv/bin/python bench/assistant/timed_action_server.py --actions actions --port 5055

Listens on SANIC_HOST (default 127.0.0.1, never all interfaces: this is a benchmark tool).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from functools import partial
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
# The actions package lives at the repository root; spawned Sanic workers inherit this sys.path.
sys.path.insert(0, str(REPO))

from rasa_sdk import utils  # noqa: E402
from rasa_sdk.constants import DEFAULT_KEEP_ALIVE_TIMEOUT  # noqa: E402
from rasa_sdk.endpoint import create_app_for_serve  # noqa: E402
from rasa_sdk.executor import ActionExecutor  # noqa: E402
from sanic import Request, Sanic  # noqa: E402
from sanic.response import HTTPResponse  # noqa: E402
from sanic.worker.loader import AppLoader  # noqa: E402

TIMINGS_ENV = "MARQUEE_BENCH_ACTION_TIMINGS"
# actions/services.py logs this when the catalog, models and embeddings are loaded (in the background).
WARM_LOGGER = "actions.services"
logger = logging.getLogger(__name__)


def _report_warm_up_in_worker() -> None:
    """Sanic workers have no log handler, so the actions' INFO lines vanish. Let the warm-up report through
    (and only it: per-turn logging would add work `python -m rasa_sdk` does not do), so the benchmark can
    wait until the action server is warm before it measures."""
    if not os.environ.get("SANIC_WORKER_NAME"):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s - %(message)s"))
    warm_logger = logging.getLogger(WARM_LOGGER)
    warm_logger.addHandler(handler)
    warm_logger.setLevel(logging.INFO)


def create_timed_app(action_executor: ActionExecutor, timings_path: str) -> Sanic:
    """rasa_sdk's app for `serve`, with the webhook timed. Module level so Sanic's AppLoader can pickle it."""
    _report_warm_up_in_worker()
    app = create_app_for_serve(
        action_executor, cors_origins="*", keep_alive_timeout=DEFAULT_KEEP_ALIVE_TIMEOUT
    )

    @app.on_request
    async def start_clock(request: Request) -> None:
        request.ctx.started_at, request.ctx.started = time.time(), time.perf_counter()

    @app.on_response
    async def record_webhook_time(request: Request, response: HTTPResponse) -> None:
        if request.path != "/webhook":
            return
        milliseconds = (time.perf_counter() - request.ctx.started) * 1000
        try:
            call = request.json or {}
        except Exception:  # a compressed or malformed body still took time; keep the figure
            call = {}
        line = json.dumps(
            {
                "action": call.get("next_action", "?"),
                "sender": call.get("sender_id", "?"),
                "start": request.ctx.started_at,
                "ms": round(milliseconds, 3),
                "status": response.status,
                "bytes": len(request.body),
                "reply_bytes": len(response.body or b""),
            }
        )
        # One short O_APPEND write per call: lines from several workers never interleave.
        with open(timings_path, "a", encoding="utf-8") as timings:
            timings.write(line + "\n")

    return app


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--actions", default="actions", help="package of the actions (default: actions)")
    parser.add_argument("--port", type=int, default=5055, help="port to listen on (default: 5055)")
    args = parser.parse_args()
    timings_path = os.environ.get(TIMINGS_ENV, "").strip()
    if not timings_path:
        parser.error(f"{TIMINGS_ENV} is not set. Set it to the file that should receive the timing lines.")
    utils.configure_colored_logging("INFO")
    utils.update_sanic_log_level()

    executor = ActionExecutor()
    executor.register_package(args.actions)
    loader = AppLoader(factory=partial(create_timed_app, executor, timings_path))
    app = loader.load()
    app.prepare(
        host=os.environ.get("SANIC_HOST", "127.0.0.1"),
        port=args.port,
        workers=utils.number_of_sanic_workers(),
    )
    logger.info("timed action server on port %d; webhook timings go to %s", args.port, timings_path)
    Sanic.serve(primary=app, app_loader=loader)
    return 0


if __name__ == "__main__":
    sys.exit(main())
