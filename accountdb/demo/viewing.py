"""What demo profiles watch, rate, save and search for, generated one block of profiles at a time.

Each profile picks titles with probability proportional to the title's long-tail popularity times its
affinity to the profile's hidden taste (genres and moods), limited to what its region offers and its
maturity limit allows. Series are binged: several consecutive episodes per evening over a few
sessions, more of them the better the fit. Completion and thumbs ratings follow affinity too, so
collaborative filtering has real structure to find.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from accountdb.demo.catalog import Catalog
from accountdb.demo.devices import Devices
from accountdb.demo.genres import GENRE_INDEX, GENRES, MOODS
from accountdb.demo.geography import REGION_CODES
from accountdb.demo.scales import HISTORY_DAYS
from accountdb.demo.subscribers import Subscribers

DAY = 86_400
# Average viewing events produced by one watched title (movies ~1, series several episodes); used to
# turn a target event count into a number of titles per profile.
EVENTS_PER_TITLE = 2.3
# When people start watching in the evening (hour of day -> weight).
_HOUR_WEIGHTS = np.array(
    [0.6, 0.3, 0.15, 0.1, 0.05, 0.05, 0.1, 0.3, 0.4, 0.4, 0.5, 0.6, 0.8, 0.8, 0.7, 0.8, 1.0, 1.4, 2.2, 3.2,
     4.2, 4.0, 2.8, 1.4]
)  # fmt: skip
_HOUR_P = _HOUR_WEIGHTS / _HOUR_WEIGHTS.sum()
# Queries people type that the catalog cannot answer (titles from other services, typos).
MISSING_QUERIES = (
    "stranger things", "the office", "friends", "breaking bad", "game of thrones", "the bear", "succession",
    "squid gaem", "bluey", "ted lasso", "the crown", "severance", "peaky blinders", "dune",
)  # fmt: skip
GENRE_QUERIES = {
    "drama": ("drama", "family drama", "sad movies"), "comedy": ("comedy", "something funny", "funny series"),
    "romance": ("romantic movies", "love story", "rom com"), "thriller": ("thriller", "suspense"),
    "crime": ("crime series", "heist", "detective"), "mystery": ("murder mystery", "whodunit"),
    "horror": ("horror", "scary movies", "something scary"), "action": ("action movies", "action"),
    "adventure": ("adventure",), "scifi": ("sci-fi", "space", "time travel"), "fantasy": ("fantasy", "dragons"),
    "documentary": ("documentary", "true crime documentary"), "animation": ("animated movies", "cartoons"),
    "family": ("family movies", "movies for kids"), "kids": ("kids shows", "cartoons for toddlers"),
    "reality": ("reality tv", "dating shows"), "food": ("cooking shows", "food travel"),
    "music": ("music documentary", "musicals"), "sports": ("sports documentary", "football"),
    "history": ("period drama", "history"), "war": ("war movies",), "western": ("westerns", "cowboy movies"),
    "anime": ("anime", "anime series"), "standup": ("stand up comedy", "comedy special"),
    "teen": ("teen drama", "high school series"),
}  # fmt: skip


@dataclass
class Activity:
    """Rows for one block of profiles, in columns (profile and title are 0-based indexes)."""

    event_profile: np.ndarray
    event_title: np.ndarray
    event_started: np.ndarray  # datetime64[s]
    event_minutes: np.ndarray
    event_completed: np.ndarray
    event_season: np.ndarray  # 0 for movies
    event_episode: np.ndarray
    event_device: np.ndarray  # device id
    rating_profile: np.ndarray
    rating_title: np.ndarray
    rating_value: list[str]
    rating_at: np.ndarray
    list_profile: np.ndarray
    list_title: np.ndarray
    list_added: np.ndarray
    search_profile: np.ndarray
    search_query: list[str]
    search_results: np.ndarray
    search_at: np.ndarray
    session_device: np.ndarray
    session_profile: np.ndarray
    session_started: np.ndarray
    session_ended: np.ndarray  # NaT while still streaming
    session_country: list[str]


class ActivityModel:
    """Precomputed catalog structure shared by every block of profiles."""

    def __init__(self, catalog: Catalog, subscribers: Subscribers, devices: Devices, as_of: dt.date) -> None:
        self.catalog = catalog
        self.subscribers = subscribers
        self.devices = devices
        self.as_of = np.datetime64(as_of, "s")
        self.history_start = self.as_of - np.timedelta64(HISTORY_DAYS * DAY, "s")
        self.log_popularity = np.log(catalog.popularity).astype(np.float32)
        self.genre_weights_t = np.ascontiguousarray(catalog.genre_weights.T) * len(GENRES)
        self.mood_weights_t = np.ascontiguousarray(catalog.mood_weights.T) * len(MOODS)
        languages = sorted(set(catalog.language) | set(subscribers.profile_language))
        self.language_index = {code: i for i, code in enumerate(languages)}
        self.title_language = np.array([self.language_index[c] for c in catalog.language])
        self.title_is_english = self.title_language == self.language_index.get("en", -1)
        self.episodes_total = np.where(catalog.is_series, catalog.seasons * catalog.episodes_per_season, 1)
        self.added_s = catalog.date_added.astype("datetime64[s]")
        self.available_by_region = np.ascontiguousarray(catalog.available.T)  # (regions, titles)
        self.genre_region_counts = (catalog.genre_weights > 0).T.astype(np.int64) @ catalog.available.astype(
            np.int64
        )
        people: dict[str, int] = {}
        for names in catalog.cast:
            for name in names:
                people[name] = people.get(name, 0) + 1
        self.person_titles = people
        self.person_names = sorted(people)

    def generate(
        self,
        rng: np.random.Generator,
        profiles: np.ndarray,
        events_per_profile: float,
        open_stream_share: float = 0.01,
    ) -> Activity:
        catalog = self.catalog
        subs = self.subscribers
        account = subs.profile_account[profiles]
        region = subs.account_region[account]
        limit = subs.profile_limit[profiles]

        # Affinity of every profile in the block to every title (log scale).
        genre_fit = subs.taste_genres[profiles] @ self.genre_weights_t
        mood_fit = subs.taste_moods[profiles] @ self.mood_weights_t
        fit = np.log(genre_fit + 0.02) + 0.5 * np.log(mood_fit + 0.05)
        language = np.array([self.language_index[subs.profile_language[p]] for p in profiles.tolist()])
        foreign = (self.title_language[None, :] != language[:, None]) & ~self.title_is_english[None, :]
        openness = subs.openness[profiles][:, None]
        log_weight = self.log_popularity[None, :] + 3.0 * fit
        log_weight += np.where(foreign, np.log(openness * 0.9 + 0.03), np.float32(0.0))
        allowed = self.available_by_region[region] & (catalog.maturity_rank[None, :] <= limit[:, None])
        weight = np.exp(log_weight - log_weight.max(axis=1, keepdims=True))
        weight[~allowed] = 0.0

        # Newer profiles have had less time to watch.
        window_start = np.maximum(subs.profile_created[profiles], self.history_start)
        window_days = (self.as_of - window_start).astype(np.int64) / DAY
        exposure = np.clip(window_days / HISTORY_DAYS, 0.05, 1.0) ** 0.7
        mean_titles = events_per_profile / EVENTS_PER_TITLE * subs.activity[profiles] * exposure
        allowed_count = allowed.sum(axis=1)
        wanted = np.minimum(rng.poisson(mean_titles) + 1, np.maximum(allowed_count - 1, 0))
        saved = np.minimum(rng.poisson(2.5, len(profiles)), np.maximum(allowed_count - wanted, 0))

        row, title, rank = _sample_without_replacement(rng, weight, wanted + saved)
        watched = rank < wanted[row]
        watch_row, watch_title = row[watched], title[watched]
        listed = ~watched
        list_row, list_title = row[listed], title[listed]
        # Affinity relative to everything this profile could watch: the z-score of the title's fit.
        allowed_share = allowed / np.maximum(allowed_count, 1)[:, None]
        fit_mean = (fit * allowed_share).sum(axis=1)
        fit_spread = np.sqrt(
            np.maximum((np.square(fit - fit_mean[:, None]) * allowed_share).sum(axis=1), 1e-6)
        )
        watch_fit = (fit[watch_row, watch_title] - fit_mean[watch_row]) / fit_spread[watch_row]
        events, pair_last, pair_id = self._events(
            rng, profiles, watch_row, watch_title, watch_fit, window_start
        )
        ratings = self._ratings(rng, profiles, watch_row, watch_title, watch_fit, events, pair_last, pair_id)

        list_start = np.maximum(window_start[list_row], self.added_s[list_title])
        list_span = np.maximum((self.as_of - list_start).astype(np.int64), 1)
        list_added = list_start + (rng.random(len(list_row)) * list_span).astype("timedelta64[s]")

        searches = self._searches(rng, profiles, region, events)
        sessions = self._sessions(rng, profiles, events, open_stream_share)
        return Activity(
            event_profile=profiles[events["row"]],
            event_title=events["title"],
            event_started=events["started"],
            event_minutes=events["minutes"],
            event_completed=events["completed"],
            event_season=events["season"],
            event_episode=events["episode"],
            event_device=events["device"],
            rating_profile=profiles[ratings["row"]],
            rating_title=ratings["title"],
            rating_value=ratings["value"],
            rating_at=ratings["at"],
            list_profile=profiles[list_row],
            list_title=list_title,
            list_added=list_added,
            search_profile=profiles[searches["row"]],
            search_query=searches["query"],
            search_results=searches["results"],
            search_at=searches["at"],
            session_device=sessions["device"],
            session_profile=profiles[sessions["row"]],
            session_started=sessions["started"],
            session_ended=sessions["ended"],
            session_country=sessions["country"],
        )

    def _events(
        self,
        rng: np.random.Generator,
        profiles: np.ndarray,
        row: np.ndarray,
        title: np.ndarray,
        fit: np.ndarray,
        window_start: np.ndarray,
    ) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
        catalog = self.catalog
        pairs = len(row)
        # 0..1: how much this profile likes this title, from its affinity z-score among what it could watch.
        liking = 1.0 / (1.0 + np.exp(-2.5 * (fit - 0.6)))
        is_series = catalog.is_series[title]
        # Episodes watched: a geometric run whose length grows with liking, bounded by the show.
        mean_run = 1.0 + 11.0 * liking**1.5
        run = np.where(is_series, rng.geometric(1.0 / mean_run), 1)
        run = np.minimum(run, self.episodes_total[title])
        pair_id = np.repeat(np.arange(pairs), run)
        pair_first = np.concatenate([[0], np.cumsum(run)[:-1]])
        index_in_pair = np.arange(len(pair_id)) - pair_first[pair_id]
        ep_title = title[pair_id]
        ep_series = is_series[pair_id]
        eps_per_season = np.maximum(catalog.episodes_per_season[ep_title], 1)
        season = np.where(ep_series, index_in_pair // eps_per_season + 1, 0)
        episode = np.where(ep_series, index_in_pair % eps_per_season + 1, 0)

        # Binge sessions: keep going with a probability that rises with liking.
        keep_going = 0.45 + 0.4 * liking[pair_id]
        new_session = (rng.random(len(pair_id)) > keep_going) | (index_in_pair == 0)
        session_number = _segment_cumsum(new_session.astype(np.int64), pair_id, pair_first) - 1
        gap_days = np.where(
            new_session & (index_in_pair > 0), 1 + np.floor(rng.exponential(1.8, len(pair_id))), 0
        )
        day_offset = _segment_cumsum(gap_days.astype(np.int64), pair_id, pair_first)
        session_key = pair_id * 10_000 + session_number
        _, session_first = np.unique(session_key, return_index=True)
        session_of_event = np.searchsorted(session_key[session_first], session_key)
        length = catalog.episode_minutes[ep_title]
        position_in_session = index_in_pair - index_in_pair[session_first][session_of_event]
        hour = rng.choice(24, size=len(session_first), p=_HOUR_P)
        minute = rng.integers(0, 60, len(session_first))
        session_clock = (hour * 3600 + minute * 60)[session_of_event]
        within = position_in_session * (length + 2) * 60

        span_days = np.zeros(pairs, dtype=np.int64)
        np.maximum.at(span_days, pair_id, day_offset)
        # Whole days only, starting the day after the profile or the title appeared, so that no episode
        # can start before either of them existed.
        start = (np.maximum(window_start[row], self.added_s[title]) + np.timedelta64(DAY, "s")).astype(
            "datetime64[D]"
        )
        room_days = np.maximum(
            (self.as_of.astype("datetime64[D]") - start).astype(np.int64) - span_days - 1, 0
        )
        first_day = (start + (rng.random(pairs) * (room_days + 1)).astype("timedelta64[D]")).astype(
            "datetime64[s]"
        )
        started = first_day[pair_id] + (day_offset * DAY + session_clock + within).astype("timedelta64[s]")

        # The last episode of a run is often left unfinished; a movie is finished when the viewer likes it.
        last_of_pair = index_in_pair == run[pair_id] - 1
        finish_chance = np.where(ep_series & ~last_of_pair, 0.94, 0.2 + 0.75 * liking[pair_id])
        completed = rng.random(len(pair_id)) < finish_chance
        share = np.where(
            completed, rng.uniform(0.92, 1.0, len(pair_id)), rng.uniform(0.04, 0.75, len(pair_id))
        )
        minutes = np.maximum(np.rint(length * share), 1).astype(np.int64)

        device = self._pair_devices(rng, profiles, row)[pair_id]
        keep = started < self.as_of - np.timedelta64(3 * 3600, "s")
        order = np.lexsort((started[keep], row[pair_id][keep]))
        events = {
            "row": row[pair_id][keep][order],
            "title": ep_title[keep][order],
            "started": started[keep][order],
            "minutes": minutes[keep][order],
            "completed": completed[keep][order],
            "season": season[keep][order],
            "episode": episode[keep][order],
            "device": device[keep][order],
            "pair": pair_id[keep][order],
            "session": session_key[keep][order],
            "length": length[keep][order],
        }
        pair_last = np.full(pairs, np.datetime64("NaT"), dtype="datetime64[s]")
        if len(events["pair"]):
            last_start = np.full(pairs, np.iinfo(np.int64).min, dtype=np.int64)
            np.maximum.at(last_start, events["pair"], events["started"].astype(np.int64))
            seen = last_start > np.iinfo(np.int64).min
            pair_last[seen] = last_start[seen].astype("datetime64[s]")
        return events, pair_last, pair_id

    def _pair_devices(self, rng: np.random.Generator, profiles: np.ndarray, row: np.ndarray) -> np.ndarray:
        """A device per watched title: mostly the profile's usual screen, sometimes another in the house."""
        account = self.subscribers.profile_account[profiles]
        first = self.devices.first_id[account]
        count = self.devices.count[account]
        usual = first + (profiles * 7919) % count
        other = first[row] + rng.integers(0, 1 << 30, len(row)) % count[row]
        return np.where(rng.random(len(row)) < 0.72, usual[row], other)

    def _ratings(
        self,
        rng: np.random.Generator,
        profiles: np.ndarray,
        row: np.ndarray,
        title: np.ndarray,
        fit: np.ndarray,
        events: dict[str, np.ndarray],
        pair_last: np.ndarray,
        pair_id: np.ndarray,
    ) -> dict:
        pairs = len(row)
        finished = np.zeros(pairs, dtype=np.int64)
        watched = np.zeros(pairs, dtype=np.int64)
        np.add.at(finished, events["pair"], events["completed"].astype(np.int64))
        np.add.at(watched, events["pair"], 1)
        seen = ~np.isnat(pair_last)
        # People rate what moved them either way: strong likes and clear disappointments.
        engaged = np.where(watched > 0, finished / np.maximum(watched, 1), 0.0)
        score = fit + rng.normal(0.0, 0.35, pairs) + 0.6 * (engaged - 0.5)
        rate = seen & (rng.random(pairs) < 0.22 + 0.25 * np.abs(np.tanh(score)))
        value = np.where(score > 1.8, "love", np.where(score > 0.55, "up", "down"))
        rated_at = pair_last + (rng.random(pairs) * 7200).astype("timedelta64[s]")
        rated_at = np.minimum(rated_at, self.as_of - np.timedelta64(60, "s"))
        return {"row": row[rate], "title": title[rate], "value": value[rate].tolist(), "at": rated_at[rate]}

    def _searches(
        self,
        rng: np.random.Generator,
        profiles: np.ndarray,
        region: np.ndarray,
        events: dict[str, np.ndarray],
    ) -> dict:
        catalog = self.catalog
        count = rng.poisson(2.2, len(profiles))
        rows = np.repeat(np.arange(len(profiles)), count)
        kinds = rng.choice(4, size=len(rows), p=[0.45, 0.3, 0.15, 0.1])  # title, genre, person, missing
        window_start = np.maximum(self.subscribers.profile_created[profiles], self.history_start)
        span = np.maximum((self.as_of - window_start).astype(np.int64), 1)
        at = window_start[rows] + (rng.random(len(rows)) * span[rows]).astype("timedelta64[s]")
        # A title search comes just before the profile started watching that title.
        first_event = np.full(len(profiles), -1, dtype=np.int64)
        if len(events["row"]):
            boundaries = np.flatnonzero(np.r_[True, events["row"][1:] != events["row"][:-1]])
            first_event[events["row"][boundaries]] = boundaries
        queries: list[str] = []
        results: list[int] = []
        for i, (row, kind) in enumerate(zip(rows.tolist(), kinds.tolist(), strict=True)):
            if kind == 0 and first_event[row] >= 0:
                pick = first_event[row] + int(rng.integers(0, 3))
                pick = pick if pick < len(events["row"]) and events["row"][pick] == row else first_event[row]
                title = int(events["title"][pick])
                name = catalog.title[title]
                queries.append(name.lower() if rng.random() < 0.7 else name.lower()[: max(4, len(name) // 2)])
                results.append(1 + int(rng.integers(0, 4)))
                at[i] = events["started"][pick] - np.timedelta64(int(rng.integers(20, 600)), "s")
            elif kind in (0, 1):  # a title search by someone who watched nothing becomes a genre search
                genre = GENRES[int(np.argmax(self.subscribers.taste_genres[profiles[row]]))].key
                options = GENRE_QUERIES[genre]
                queries.append(options[int(rng.integers(len(options)))])
                results.append(int(self.genre_region_counts[GENRE_INDEX[genre], region[row]]))
            elif kind == 2:
                person = self.person_names[int(rng.integers(len(self.person_names)))]
                queries.append(person.lower())
                results.append(self.person_titles[person])
            else:
                queries.append(MISSING_QUERIES[int(rng.integers(len(MISSING_QUERIES)))])
                results.append(0)
        at = np.maximum(at, window_start[rows])
        return {"row": rows, "query": queries, "results": np.array(results, dtype=np.int64), "at": at}

    def _sessions(
        self, rng: np.random.Generator, profiles: np.ndarray, events: dict[str, np.ndarray], open_share: float
    ) -> dict:
        """Device sessions for the last 45 days of viewing (one per sitting), plus a few live streams."""
        recent = events["started"] >= self.as_of - np.timedelta64(45 * DAY, "s")
        session = events["session"][recent]
        rows = events["row"][recent]
        starts = events["started"][recent]
        ends = starts + (events["minutes"][recent] * 60).astype("timedelta64[s]")
        devices = events["device"][recent]
        # Events are ordered by profile then time, so one sitting's events are adjacent.
        boundary = np.flatnonzero(np.r_[True, (session[1:] != session[:-1]) | (rows[1:] != rows[:-1])])
        last = np.r_[boundary[1:] - 1, len(session) - 1] if len(boundary) else boundary
        row = rows[boundary]
        started = starts[boundary]
        ended = ends[last] if len(boundary) else starts[:0]
        device = devices[boundary]
        # A few households are streaming right now: an open session on their first profile.
        account = self.subscribers.profile_account[profiles]
        first_profile = np.r_[True, account[1:] != account[:-1]]
        live = np.flatnonzero(first_profile & (rng.random(len(profiles)) < open_share))
        live_started = self.as_of - (rng.integers(5, 90, len(live)) * 60).astype("timedelta64[s]")
        live_device = self.devices.first_id[account[live]]
        region = self.subscribers.account_region[account]
        all_rows = np.r_[row, live]
        home = np.array(REGION_CODES)[region[all_rows]]
        # Travellers stream from abroad now and then.
        away = rng.random(len(all_rows)) < 0.03
        home[away] = np.array(REGION_CODES)[rng.integers(0, len(REGION_CODES), int(away.sum()))]
        return {
            "row": all_rows,
            "device": np.r_[device, live_device],
            "started": np.r_[started, live_started],
            "ended": np.r_[ended, np.full(len(live), np.datetime64("NaT"), dtype="datetime64[s]")],
            "country": home.tolist(),
        }


def _segment_cumsum(values: np.ndarray, segment: np.ndarray, segment_first: np.ndarray) -> np.ndarray:
    """Cumulative sum of `values` restarting at each segment (segments are contiguous and ordered)."""
    total = np.cumsum(values)
    before = total[segment_first] - values[segment_first]
    return total - before[segment]


def _sample_without_replacement(
    rng: np.random.Generator, weight: np.ndarray, wanted: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Up to `wanted[r]` distinct columns per row, drawn in order with probability proportional to weight.

    Draws with replacement and keeps each column's first appearance: that is exactly successive
    sampling without replacement, and much cheaper than sorting random keys over the whole matrix.
    Returns (row, column, rank) with rank 0 for the first pick of each row.
    """
    rows, columns = weight.shape
    draws = int(max(8, 3 * wanted.max() + 10)) if rows else 0
    flat = np.cumsum(weight.astype(np.float64).ravel())
    row_total = weight.sum(axis=1, dtype=np.float64)
    row_offset = np.concatenate([[0.0], np.cumsum(row_total)[:-1]])
    targets = row_offset[:, None] + rng.random((rows, draws)) * row_total[:, None]
    picked = np.searchsorted(flat, targets.ravel(), side="right")
    draw_row = np.repeat(np.arange(rows), draws)
    column = np.clip(picked - draw_row * columns, 0, columns - 1)
    usable = (row_total[draw_row] > 0) & (weight[draw_row, column] > 0)
    key = (draw_row * columns + column)[usable]
    _, first = np.unique(key, return_index=True)
    first = np.sort(first)  # back into (row, draw order)
    key = key[first]
    row = key // columns
    starts = np.searchsorted(row, np.arange(rows))
    rank = np.arange(len(row)) - starts[row]
    keep = rank < wanted[row]
    return row[keep], (key % columns)[keep], rank[keep]
