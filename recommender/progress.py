"""A progress bar over a hybrid fit's steps (fitting each base on the validation split, learning the
re-ranker, refitting the bases it keeps), for command lines: a fit takes from seconds to minutes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from tqdm import tqdm

from recommender.models.base import Recommender
from recommender.models.hybrid import HybridRecommender


@contextmanager
def fit_progress(model: Recommender, description: str = "fitting") -> Iterator[None]:
    """Shows a tqdm bar on stderr while `model` is fitted inside the block; other models fit without one."""
    if not isinstance(model, HybridRecommender):
        yield
        return
    # Every base fitted twice at most (validation split, then all data) and one re-ranker step; the bar is
    # closed at the number of steps taken, since bases the re-ranker drops are not refitted.
    bar = tqdm(total=2 * len(model.base_specs) + 1, desc=description, unit="step")
    started = False

    def on_step(step: str) -> None:
        nonlocal started
        if started:
            bar.update(1)
        started = True
        bar.set_postfix_str(step)

    model.on_step = on_step
    try:
        yield
        if started:
            bar.update(1)
        bar.total = bar.n
        bar.set_postfix_str("done")
    finally:
        model.on_step = None
        bar.close()
