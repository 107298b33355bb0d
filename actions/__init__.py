"""Marquee's rasa-sdk action server: thin actions over the recommender and the account database."""

import logging
import os


def _log_in_worker_processes() -> None:
    # rasa-sdk sets up logging only in its main process, but Sanic serves requests from a worker process it
    # spawns, where Python's last-resort handler drops INFO (token refusals, tickets opened, account changes)
    # and prints the rest without time or source. The worker imports this package, so set logging up here
    # when nothing else has.
    root = logging.getLogger()
    if root.handlers:
        return
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-8s %(name)s - %(message)s"))
    root.addHandler(handler)
    root.setLevel(os.environ.get("MARQUEE_LOG_LEVEL", "INFO").upper())


_log_in_worker_processes()
