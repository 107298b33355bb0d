"""Assistant benchmark (issue 4, "Performance"): the Marquee assistant against a bare `rasa init` assistant,
in the same run on the same machine, never both driven at once.

Both assistants' servers (`rasa run --enable-api`, loopback only) are started one after the other and warmed
up with one pass of their conversation mix. Then they are driven over the REST webhook in alternating blocks
(at each concurrency, half the messages bare then Marquee, the other half Marquee then bare), so load that
other work puts on a shared machine falls on both alike; at concurrency 1 and at concurrency 16 (16
simultaneous conversations, each replayed turn by turn). Per message: p50 and p95 latency, throughput,
and the CPU time the Rasa server (and Marquee's action server) used per message, read from /proc around each
phase: on a shared machine wall-clock figures move with everyone else's load, CPU time per message is the
work itself. Per server: peak RSS of the Rasa process tree, startup time and `/model/parse` latency. Replies
that say "I'm having trouble" are counted, so a fast but failing turn shows.

- Bare assistant: `rasa init --no-prompt` in a temporary folder (it trains its own model). Its stories and
  rule use only responses, so it runs without an action server, as `rasa init` ships it.
- Marquee: models/marquee.tar.gz (scripts/train_bot.sh trains it when bot/ or data/ changed), a freshly
  seeded database with the recommender's artifact fitted on it (as `make demo` does), and the action server (rasa_sdk, with one timing line per webhook call; see
  bench/assistant/timed_action_server.py). The mix is bench/assistant/conversations.yml: discovery
  (every second conversation signed in) and support (always signed in: a signed token of a real profile in
  the metadata, as the app sends it).

Targets: Marquee's p50 no worse than the bare assistant's, and its throughput at concurrency 16 at least
the bare assistant's. PASS/FAIL is printed, never asserted.

    .venv/bin/python bench/assistant_bench.py [--messages-c1 600] [--messages-c16 1600]

To find where Rasa's time goes, `--only marquee --profile-rasa DIR` runs the Rasa server under cProfile
(bench/assistant/profiled_rasa.py; read DIR/marquee.prof with pstats).

Writes bench/results/assistant.md. Takes about 10 minutes on 2 busy cores (two Rasa start-ups; plus the
bare bot's training, which --bare-bot saves, and Marquee's when bot/ or data/ changed).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import platform
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from assistant import load, servers  # noqa: E402
from assistant.mix import MixPlayer, load_scripts, sample_catalog  # noqa: E402
from assistant.timed_action_server import TIMINGS_ENV  # noqa: E402

from accountdb.engine import make_engine  # noqa: E402

RASA = REPO / ".venv-rasa" / "bin" / "rasa"
RASA_PYTHON = REPO / ".venv-rasa" / "bin" / "python"
PROFILED_RASA = REPO / "bench" / "assistant" / "profiled_rasa.py"
PYTHON = REPO / ".venv" / "bin" / "python"
MARQUEE_CLI = REPO / ".venv" / "bin" / "marquee"
MODEL = REPO / "models" / "marquee.tar.gz"
MODEL_STAMP = REPO / "models" / "marquee.inputs-sha256"
RESULTS = REPO / "bench" / "results" / "assistant.md"
STARTUP_TIMEOUT_SECONDS = 420
INIT_TIMEOUT_SECONDS = 900
SEED = 42
PARSE_REQUESTS = 100
ACTIONS_WARM_TIMEOUT_SECONDS = 600
# What actions/services.py and actions/actions.py log when the background warm-up ends.
WARM_DONE, WARM_FAILED = "action services warm", "warm-up failed"
# How much of a reply the per-message table shows.
REPLY_CHARS = 70
# Names of the process trees whose CPU time is taken per phase.
RASA_CPU, ACTIONS_CPU = "Rasa server", "action server"

logger = logging.getLogger("assistant_bench")


@dataclass(frozen=True)
class ActionCall:
    """One webhook call as the timed action server logged it (start is wall-clock seconds)."""

    action: str
    sender: str
    start: float
    ms: float
    status: int
    request_bytes: int
    reply_bytes: int


@dataclass
class AssistantRun:
    name: str
    startup_seconds: float = float("nan")
    phases: dict[int, load.PhaseResult] = field(default_factory=dict)
    warmup: load.PhaseResult | None = None
    peak_rss_kib: int = 0
    peak_hwm_kib: int = 0
    parse_ms: list[float] = field(default_factory=list)
    action_calls: dict[int, list[ActionCall]] = field(default_factory=dict)
    failure: str = ""


def base_env(workdir: Path) -> dict[str, str]:
    return {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        # Rasa would otherwise report usage to its telemetry service; the benchmark stays on loopback.
        "RASA_TELEMETRY_ENABLED": "false",
        "SANIC_HOST": "127.0.0.1",
        "MARQUEE_DATA_DIR": str(workdir),
    }


def read_action_calls(path: Path, offset: int) -> tuple[list[ActionCall], int]:
    """Timing lines written since `offset`, and the new offset."""
    if not path.exists():
        return [], offset
    with path.open("rb") as timings:
        timings.seek(offset)
        data = timings.read()
    calls = []
    for line in data.decode().splitlines():
        record = json.loads(line)
        calls.append(
            ActionCall(
                record["action"],
                record["sender"],
                float(record["start"]),
                float(record["ms"]),
                int(record["status"]),
                int(record["bytes"]),
                int(record.get("reply_bytes", 0)),
            )
        )
    return calls, offset + len(data)


@dataclass
class Subject:
    """One assistant being measured: its Rasa server (and Marquee's action server), how to talk to it, and
    where its results go."""

    run: AssistantRun
    rasa: servers.Server
    base_url: str
    player: MixPlayer
    api_token: str
    memory: servers.MemorySampler
    action_server: servers.Server | None = None
    timings_path: Path | None = None
    timings_offset: int = 0

    def cpu_pids(self) -> dict[str, int]:
        pids = {RASA_CPU: self.rasa.process.pid}
        if self.action_server is not None:
            pids[ACTIONS_CPU] = self.action_server.process.pid
        return pids


def wait_for_rasa(run: AssistantRun, rasa: servers.Server, base_url: str, api_token: str) -> None:
    run.startup_seconds = servers.wait_until_up(
        rasa, f"{base_url}/status", timeout=STARTUP_TIMEOUT_SECONDS, params={"token": api_token}
    )
    logger.info("%s: Rasa answered after %.0f s", run.name, run.startup_seconds)


def run_half(subject: Subject, concurrency: int, messages: int, args: argparse.Namespace) -> None:
    """One block of messages at one concurrency, added to the subject's results for that concurrency."""
    run, pids = subject.run, subject.cpu_pids()
    cpu_before = {name: servers.tree_cpu_seconds(pid) for name, pid in pids.items()}
    phase = asyncio.run(
        load.run_phase(
            subject.base_url, subject.player, label=f"{run.name} c={concurrency}", concurrency=concurrency,
            messages=messages, progress=not args.no_progress,
        )
    )  # fmt: skip
    phase.server_cpu_seconds = {
        name: servers.tree_cpu_seconds(pid) - cpu_before[name] for name, pid in pids.items()
    }
    if concurrency in run.phases:
        run.phases[concurrency].absorb(phase)
    else:
        run.phases[concurrency] = phase
    if subject.timings_path is not None:
        calls, subject.timings_offset = read_action_calls(subject.timings_path, subject.timings_offset)
        run.action_calls.setdefault(concurrency, []).extend(calls)
    logger.info(
        "%s c=%d block: %d messages, p50 %.0f ms, %.1f msg/s, %d errors, %d empty and %d trouble replies, "
        "Rasa CPU %.1f ms/message, load %.1f",
        run.name, concurrency, phase.messages, phase.percentile(50), phase.throughput, len(phase.errors),
        phase.silent_replies, sum(phase.trouble.values()), phase.cpu_ms_per_message(RASA_CPU),
        phase.load_average,
    )  # fmt: skip


def measure(subjects: list[Subject], args: argparse.Namespace) -> None:
    """Warm each assistant up, then measure them in alternating blocks: at each concurrency, half of the
    messages in the order A, B and the other half in the order B, A. The machine is shared; whatever load
    comes and goes during the run then falls on both assistants alike."""
    for subject in subjects:
        warmup_messages = sum(len(script.messages) for script in subject.player.scripts)
        subject.run.warmup = asyncio.run(
            load.run_phase(
                subject.base_url, subject.player, label=f"{subject.run.name} warm-up", concurrency=1,
                messages=warmup_messages, progress=not args.no_progress,
            )
        )  # fmt: skip
        if subject.timings_path is not None and subject.timings_path.exists():
            subject.timings_offset = subject.timings_path.stat().st_size
    for concurrency, messages in ((1, args.messages_c1), (args.concurrency, args.messages_c16)):
        first_half = messages // 2
        for order, block in ((subjects, first_half), (subjects[::-1], messages - first_half)):
            for subject in order:
                if block:
                    run_half(subject, concurrency, block, args)
    for subject in subjects:
        texts = [m for script in subject.player.scripts for m in script.messages if "{" not in m]
        subject.run.parse_ms = asyncio.run(
            load.parse_latencies(subject.base_url, texts, token=subject.api_token, repeats=PARSE_REQUESTS)
        )


def prepare_bare_bot(workdir: Path, reuse: Path | None, notes: list[str]) -> tuple[Path | None, str]:
    """A trained `rasa init` project: the one given with --bare-bot, else a new one (trained by `rasa init`)."""
    if reuse is not None:
        if not any((reuse / "models").glob("*.tar.gz")):
            return (
                None,
                f"--bare-bot {reuse} has no trained model under models/. Run `rasa init` there first.",
            )
        notes.append(f"Bare assistant: the existing `rasa init` project {reuse} (--bare-bot).")
        return reuse, ""
    bot_dir = workdir / "bare-bot"
    bot_dir.mkdir()  # `rasa init --init-dir` refuses a folder that does not exist yet
    logger.info("creating and training the bare `rasa init` assistant in %s (a minute or more)", bot_dir)
    started = time.monotonic()
    init = subprocess.run(
        [str(RASA), "init", "--no-prompt", "--init-dir", str(bot_dir)],
        cwd=workdir, env=base_env(workdir), capture_output=True, text=True, timeout=INIT_TIMEOUT_SECONDS,
    )  # fmt: skip
    if init.returncode != 0 or not any((bot_dir / "models").glob("*.tar.gz")):
        return None, f"`rasa init` failed (exit {init.returncode}): {(init.stdout + init.stderr)[-1500:]}"
    notes.append(
        f"Bare assistant: `rasa init --no-prompt` created and trained it in {time.monotonic() - started:.0f} s."
    )
    return bot_dir, ""


def rasa_command(args: argparse.Namespace, profile_name: str) -> list[str]:
    """`rasa`, or with --profile-rasa DIR, `rasa` under cProfile writing DIR/<profile_name>.prof on exit."""
    if args.profile_rasa is None:
        return [str(RASA)]
    return [
        str(RASA_PYTHON),
        str(PROFILED_RASA),
        "--output",
        str(args.profile_rasa / f"{profile_name}.prof"),
        "--",
    ]


def start_bare(
    workdir: Path, args: argparse.Namespace, notes: list[str], started: list[servers.Server]
) -> Subject | AssistantRun:
    """The bare assistant's Rasa server, up and answering; or its run with the failure."""
    run = AssistantRun("bare rasa init")
    env = base_env(workdir)
    bot_dir, run.failure = prepare_bare_bot(workdir, args.bare_bot, notes)
    if bot_dir is None:
        return run
    port, api_token = servers.free_port(), secrets.token_urlsafe(16)
    rasa = servers.start(
        "bare Rasa server",
        [
            *rasa_command(args, "bare"), "run", "--model", str(bot_dir / "models"), "--enable-api", "--auth-token", api_token,
            "--credentials", "credentials.yml", "--endpoints", "endpoints.yml",
            "--interface", "127.0.0.1", "--port", str(port),
        ],
        cwd=bot_dir, env=env, log_path=workdir / "bare-rasa.log",
    )  # fmt: skip
    started.append(rasa)
    memory = servers.MemorySampler(rasa.process.pid).start()
    base_url = f"http://127.0.0.1:{port}"
    subject = Subject(run, rasa, base_url, MixPlayer(load_scripts("bare"), seed=SEED), api_token, memory)
    try:
        wait_for_rasa(run, rasa, base_url, api_token)
    except servers.ServerFailed as exc:
        memory.stop()
        run.failure = str(exc)
        return run
    return subject


def ensure_marquee_model(notes: list[str]) -> Path | None:
    """Train when bot/ or data/ changed, then copy the model: other work may retrain it during the run."""
    # Rasa's training output goes to stderr with the other progress; stdout carries only the table.
    trained = subprocess.run([str(REPO / "scripts" / "train_bot.sh")], cwd=REPO, stdout=sys.stderr)
    if trained.returncode != 0 or not MODEL.exists():
        notes.append(f"Marquee not measured: scripts/train_bot.sh exited with {trained.returncode}.")
        return None
    stamp = MODEL_STAMP.read_text().strip()[:12] if MODEL_STAMP.exists() else "unknown"
    notes.append(f"Marquee model: models/marquee.tar.gz, inputs stamp {stamp}.")
    return MODEL


def start_marquee(
    workdir: Path, model: Path, args: argparse.Namespace, notes: list[str], started: list[servers.Server]
) -> Subject | AssistantRun:
    """Marquee's action server (warm) and Rasa server, up and answering; or its run with the failure."""
    run = AssistantRun("Marquee")
    model_copy = workdir / "marquee.tar.gz"
    shutil.copyfile(model, model_copy)
    database_url = f"sqlite:///{workdir / 'bench.db'}"
    actions_port, rasa_port = servers.free_port(), servers.free_port()
    timings_path = workdir / "action-timings.jsonl"
    env = {
        **base_env(workdir),
        "MARQUEE_DATABASE_URL": database_url,
        "MARQUEE_TOKEN_SECRET": secrets.token_hex(32),
        "MARQUEE_ACTIONS_URL": f"http://127.0.0.1:{actions_port}/webhook",
        TIMINGS_ENV: str(timings_path),
    }
    logger.info("seeding the %s demo world into %s", args.scale, database_url)
    seeded = subprocess.run(
        [str(MARQUEE_CLI), "seed", "--scale", args.scale, "--seed", str(SEED), "--database-url", database_url,
         "--no-progress"],
        cwd=REPO, env=env, capture_output=True, text=True,
    )  # fmt: skip
    if seeded.returncode != 0:
        run.failure = f"`marquee seed` failed (exit {seeded.returncode}): {seeded.stderr[-1500:]}"
        return run
    notes.append(f"Marquee database: SQLite, `marquee seed --scale {args.scale} --seed {SEED}`.")
    # The recommender `make demo` serves: the hybrid's artifact (without it the action server answers with its
    # item-kNN fallback, which is not what ships).
    fitted = subprocess.run(
        [str(MARQUEE_CLI), "recommender", "fit", "--database-url", database_url],
        cwd=REPO, env=env, capture_output=True, text=True,
    )  # fmt: skip
    if fitted.returncode != 0:
        run.failure = f"`marquee recommender fit` failed (exit {fitted.returncode}): {fitted.stderr[-1500:]}"
        return run
    notes.append(
        "Recommender: the hybrid's artifact, fitted by `marquee recommender fit` (as `make demo` does)."
    )
    engine = make_engine(database_url)
    try:
        catalog = sample_catalog(engine)
    finally:
        engine.dispose()
    player = MixPlayer(load_scripts("marquee"), catalog, token_secret=env["MARQUEE_TOKEN_SECRET"], seed=SEED)

    api_token = secrets.token_urlsafe(16)
    try:
        actions = servers.start(
            "action server",
            [str(PYTHON), str(REPO / "bench" / "assistant" / "timed_action_server.py"),
             "--actions", "actions", "--port", str(actions_port)],
            cwd=REPO, env=env, log_path=workdir / "actions.log",
        )  # fmt: skip
        started.append(actions)
        servers.wait_until_up(
            actions, f"http://127.0.0.1:{actions_port}/health", timeout=STARTUP_TIMEOUT_SECONDS
        )
        # The action server answers at once but loads the catalog, fits the models and embeds every
        # description in the background; measure it warm, as a server that has been up for a while.
        warm = servers.wait_for_log(actions, (WARM_DONE, WARM_FAILED), timeout=ACTIONS_WARM_TIMEOUT_SECONDS)
        if warm is None:
            notes.append(
                f"The action server did not report being warm within {ACTIONS_WARM_TIMEOUT_SECONDS} s; "
                "it was measured anyway (first turns may include loading)."
            )
        elif warm[0] == WARM_FAILED:
            notes.append("The action server's background warm-up failed (see its log); measured anyway.")
        else:
            notes.append(
                f"Marquee's action server was warm (catalog, models, description embeddings) {warm[1]:.0f} s "
                "after it started; measuring began after that."
            )
        rasa = servers.start(
            "Marquee Rasa server",
            [
                *rasa_command(args, "marquee"), "run", "--model", str(model_copy), "--endpoints", "bot/endpoints.yml",
                "--credentials", "bot/credentials.yml", "--enable-api", "--auth-token", api_token,
                "--interface", "127.0.0.1", "--port", str(rasa_port),
            ],
            cwd=REPO, env=env, log_path=workdir / "marquee-rasa.log",
        )  # fmt: skip
        started.append(rasa)
    except servers.ServerFailed as exc:
        run.failure = str(exc)
        return run
    memory = servers.MemorySampler(rasa.process.pid).start()
    base_url = f"http://127.0.0.1:{rasa_port}"
    try:
        wait_for_rasa(run, rasa, base_url, api_token)
    except servers.ServerFailed as exc:
        memory.stop()
        run.failure = str(exc)
        return run
    return Subject(run, rasa, base_url, player, api_token, memory, actions, timings_path)


def note_failures_in_logs(subject: Subject, notes: list[str]) -> None:
    if subject.action_server is not None:
        tracebacks = subject.action_server.log_tail(1_000_000).count("Traceback")
        if tracebacks:
            notes.append(f"The action server logged {tracebacks} tracebacks during the run.")
    failed_actions = subject.rasa.log_tail(1_000_000).count("Encountered an exception while running action")
    if failed_actions:
        notes.append(
            f"{subject.run.name}'s Rasa logged {failed_actions} failed custom-action calls "
            "(the bot carried on without them)."
        )


# ---- report -------------------------------------------------------------------------------------------


def _ms(value: float, decimals: int = 0) -> str:
    return "n/a" if np.isnan(value) else f"{value:.{decimals}f}"


def _rate(value: float) -> str:
    return "n/a" if np.isnan(value) else f"{value:.1f}"


def _mib(kib: int) -> str:
    return f"{kib / 1024:.0f}" if kib else "n/a"


def _cpu(phase: load.PhaseResult, server: str) -> str:
    value = phase.cpu_ms_per_message(server)
    return "n/a" if np.isnan(value) else f"{value:.1f}"


def _verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("PASS" if ok else "FAIL")


def _compare(marquee: float, bare: float, *, lower_is_better: bool) -> bool | None:
    if np.isnan(marquee) or np.isnan(bare):
        return None
    return marquee <= bare if lower_is_better else marquee >= bare


def render(bare: AssistantRun, marquee: AssistantRun, args: argparse.Namespace, notes: list[str]) -> str:
    high = args.concurrency
    empty = load.PhaseResult("", 0)

    def phase(run: AssistantRun, concurrency: int) -> load.PhaseResult:
        return run.phases.get(concurrency, empty)

    rows: list[tuple[str, str, str, str, str]] = []
    for concurrency in (1, high):
        b, m = phase(bare, concurrency), phase(marquee, concurrency)
        p50_ok = _compare(m.percentile(50), b.percentile(50), lower_is_better=True)
        # One decimal: the verdict compares the unrounded values, and "25 vs 25: FAIL" would read as a bug.
        rows.append((f"p50 latency, c={concurrency} (ms)", _ms(b.percentile(50), 1), _ms(m.percentile(50), 1),
                     "≤ bare", _verdict(p50_ok)))  # fmt: skip
        rows.append(
            (f"p95 latency, c={concurrency} (ms)", _ms(b.percentile(95)), _ms(m.percentile(95)), "", "")
        )
        throughput_ok = _compare(m.throughput, b.throughput, lower_is_better=False)
        rows.append((f"throughput, c={concurrency} (msg/s)", _rate(b.throughput), _rate(m.throughput),
                     "≥ bare" if concurrency == high else "",
                     _verdict(throughput_ok) if concurrency == high else ""))  # fmt: skip
        rows.append((f"messages / errors / empty / trouble replies, c={concurrency}",
                     f"{b.messages} / {len(b.errors)} / {b.silent_replies} / {sum(b.trouble.values())}",
                     f"{m.messages} / {len(m.errors)} / {m.silent_replies} / {sum(m.trouble.values())}",
                     "", ""))  # fmt: skip
        rows.append((f"Rasa server CPU per message, c={concurrency} (ms)",
                     _cpu(b, RASA_CPU), _cpu(m, RASA_CPU), "", ""))  # fmt: skip
        if concurrency == 1:
            rows.append((f"action server CPU per message, c={concurrency} (ms)", "none",
                         _cpu(m, ACTIONS_CPU), "", ""))  # fmt: skip
        rows.append((f"1-min load average before c={concurrency}", f"{b.load_average:.1f}",
                     f"{m.load_average:.1f}", "", ""))  # fmt: skip
    rows += [
        ("Rasa server peak RSS, sampled (MiB)", _mib(bare.peak_rss_kib), _mib(marquee.peak_rss_kib), "", ""),
        ("Rasa server VmHWM (MiB)", _mib(bare.peak_hwm_kib), _mib(marquee.peak_hwm_kib), "", ""),
        ("Rasa start-up to /status (s)", _rate(bare.startup_seconds), _rate(marquee.startup_seconds), "", ""),
        ("/model/parse p50, c=1 (ms)", _ms(float(np.percentile(bare.parse_ms, 50)) if bare.parse_ms else np.nan),
         _ms(float(np.percentile(marquee.parse_ms, 50)) if marquee.parse_ms else np.nan), "", ""),
    ]  # fmt: skip

    lines = [
        "# Assistant benchmark: Marquee vs a bare `rasa init` assistant",
        "",
        f"Same run, same machine ({platform.machine()}, {os.cpu_count()} CPUs), one assistant at a time, in "
        "alternating blocks (half the messages bare then Marquee, half Marquee then bare). Messages over Rasa's "
        f"REST webhook after a warm-up pass of each mix; c=1: {args.messages_c1} messages, c={high}: "
        f"{args.messages_c16} messages from {high} concurrent conversations. CPU per message: user + system "
        "time of the server's process tree during the blocks, divided by the messages answered.",
        "",
        "| measure | bare `rasa init` | Marquee | target | result |",
        "|---|---:|---:|---|---|",
        *(f"| {a} | {b} | {c} | {d} | {e} |" for a, b, c, d, e in rows),
        "",
    ]
    lines += _action_share(marquee)
    lines += _per_message(marquee) + _per_message(bare)
    for run in (bare, marquee):
        if run.failure:
            lines += [f"**{run.name} was not fully measured:**", "", "```", run.failure, "```", ""]
        errors = [error for phase_result in run.phases.values() for error in phase_result.errors]
        if run.warmup is not None:
            errors = run.warmup.errors + errors
        if errors:
            lines += [f"First errors of {run.name}:", "", *(f"- {error}" for error in errors[:5]), ""]
        trouble: dict[str, int] = {}
        for phase_result in run.phases.values():
            for template, count in phase_result.trouble.items():
                trouble[template] = trouble.get(template, 0) + count
        if trouble:
            lines += [f"Messages {run.name} answered with \"I'm having trouble\":", "",
                      *(f"- {template!r}: {count}" for template, count in sorted(trouble.items())), ""]  # fmt: skip
    lines += ["Notes:", "", *(f"- {note}" for note in notes), ""]
    return "\n".join(lines)


def _action_share(marquee: AssistantRun) -> list[str]:
    if not marquee.action_calls:
        return []
    lines = ["## Where Marquee's time goes", "",
             "Action server time = time the action server spent on each webhook call (request in to response "
             "out, queueing inside the action server included, network and Rasa's side excluded).", "",
             "| concurrency | action calls per message | action server ms per message | share of message latency "
             "| calls not answered 200 |",
             "|---|---:|---:|---:|---:|"]  # fmt: skip
    for concurrency, calls in sorted(marquee.action_calls.items()):
        phase = marquee.phases[concurrency]
        if not phase.messages:
            continue
        action_ms = sum(call.ms for call in calls)
        message_ms = sum(phase.latencies_ms)
        lines.append(
            f"| {concurrency} | {len(calls) / phase.messages:.2f} | {action_ms / phase.messages:.0f} | "
            f"{100 * action_ms / message_ms:.0f}% | {sum(1 for call in calls if call.status != 200)} |"
        )
    lines += _turn_breakdown(marquee)
    calls = marquee.action_calls.get(1, [])
    if calls:
        lines += ["", "Per action at c=1:", "", "| action | calls | p50 ms | p95 ms | max ms | non-200 |",
                  "|---|---:|---:|---:|---:|---:|"]  # fmt: skip
        by_action: dict[str, list[ActionCall]] = {}
        for call in calls:
            by_action.setdefault(call.action, []).append(call)
        for action, action_calls in sorted(by_action.items(), key=lambda item: -sum(c.ms for c in item[1])):
            ms = [call.ms for call in action_calls]
            failed = sum(1 for call in action_calls if call.status != 200)
            lines.append(
                f"| {action} | {len(ms)} | {np.percentile(ms, 50):.0f} | {np.percentile(ms, 95):.0f} | "
                f"{max(ms):.0f} | {failed} |"
            )
    return [*lines, ""]


def _turn_breakdown(marquee: AssistantRun) -> list[str]:
    """Split each answered message by the action calls made for it (matched on conversation and time):
    Rasa's work before the first call (NLU, policies, building the request), the action server's time, and
    everything after (applying events, the next prediction, the reply; gaps between calls included)."""
    lines = ["", "Per message, split by where the time goes (means, ms):", "",
             "| concurrency | turns | messages | message | Rasa before the action call | action server "
             "| Rasa after the action | request to / reply from the action server (KiB) |",
             "|---|---|---:|---:|---:|---:|---:|---|"]  # fmt: skip
    for concurrency, calls in sorted(marquee.action_calls.items()):
        by_sender: dict[str, list[ActionCall]] = {}
        for call in calls:
            by_sender.setdefault(call.sender, []).append(call)
        responses_only: list[float] = []
        with_action: list[tuple[float, float, float, float, float, float]] = []
        for message in marquee.phases[concurrency].answered:
            end = message.sent_at + message.ms / 1000
            made = sorted(
                (c for c in by_sender.get(message.sender, []) if message.sent_at <= c.start <= end),
                key=lambda c: c.start,
            )
            if not made:
                responses_only.append(message.ms)
                continue
            before = (made[0].start - message.sent_at) * 1000
            inside = sum(c.ms for c in made)
            sent_kib = sum(c.request_bytes for c in made) / 1024
            reply_kib = sum(c.reply_bytes for c in made) / 1024
            with_action.append(
                (message.ms, before, inside, message.ms - before - inside, sent_kib, reply_kib)
            )
        if responses_only:
            lines.append(
                f"| {concurrency} | responses only | {len(responses_only)} | {np.mean(responses_only):.0f} "
                "| | | | |"
            )
        if with_action:
            total, before, inside, after, sent_kib, reply_kib = (
                float(np.mean(column)) for column in zip(*with_action, strict=True)
            )
            lines.append(
                f"| {concurrency} | with a custom action | {len(with_action)} | {total:.0f} | {before:.0f} "
                f"| {inside:.0f} | {after:.0f} | {sent_kib:.1f} / {reply_kib:.1f} |"
            )
    if marquee.parse_ms:
        lines += ["", f"NLU alone (`/model/parse`, c=1): p50 {np.percentile(marquee.parse_ms, 50):.0f} ms."]
    return lines


def _per_message(run: AssistantRun) -> list[str]:
    """Latency of each message of the mix at c=1, slowest first."""
    phase = run.phases.get(1)
    if phase is None or not phase.answered:
        return []
    lines = [f"### {run.name}: per message at c=1", "",
             "| message | sent | p50 ms | max ms | a reply it got (first message, shortened) |",
             "|---|---:|---:|---:|---|"]  # fmt: skip
    ranked = sorted(phase.latencies_by_template().items(), key=lambda item: -float(np.median(item[1])))
    replies = {message.template: message.first_reply for message in phase.answered}
    for template, ms in ranked:
        reply = " ".join(replies.get(template, "").split())[:REPLY_CHARS].replace("|", "\\|")
        lines.append(f"| {template} | {len(ms)} | {np.percentile(ms, 50):.0f} | {max(ms):.0f} | {reply} |")
    return [*lines, ""]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--messages-c1", type=int, default=600, help="messages at concurrency 1 (default 600)"
    )
    # The p50 target is decided by a millisecond or two at c=1: 200 messages put the two assistants level
    # (25 vs 25 ms) where 600 told them apart (25.0 vs 26.6), 2026-11-30.
    parser.add_argument("--messages-c16", type=int, default=1600,
                        help="messages at the high concurrency (default 1600)")  # fmt: skip
    parser.add_argument("--concurrency", type=int, default=16, help="the high concurrency (default 16)")
    parser.add_argument("--scale", default="small", choices=["tiny", "small", "demo"],
                        help="demo world seeded for Marquee (default small)")  # fmt: skip
    parser.add_argument("--bare-bot", type=Path, metavar="DIR",
                        help="reuse a trained `rasa init` project instead of creating one (saves its training)")  # fmt: skip
    parser.add_argument("--keep-workdir", action="store_true",
                        help="keep the temporary folder with the bots, database and server logs")  # fmt: skip
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bars")
    parser.add_argument("--only", choices=["marquee", "bare"],
                        help="measure one assistant only (for profiling; the comparison needs both)")  # fmt: skip
    parser.add_argument("--profile-rasa", type=Path, metavar="DIR",
                        help="run each Rasa server under cProfile (bench/assistant/profiled_rasa.py) and write "
                        "DIR/marquee.prof and DIR/bare.prof; the figures are then slowed by the profiler")  # fmt: skip
    args = parser.parse_args()
    if min(args.messages_c1, args.messages_c16, args.concurrency) < 1:
        parser.error("message counts and concurrency must be at least 1")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s", stream=sys.stderr)
    # httpx logs every request at INFO, API token included.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    if not RASA.exists():
        print(f"error: {RASA} is missing. Run `make setup` to build the Rasa environment.", file=sys.stderr)
        return 2
    RESULTS.parent.mkdir(parents=True, exist_ok=True)

    notes = [
        "The bare assistant runs without an action server: the stories and rule `rasa init` writes use only "
        "responses, and its actions.py is all comments.",
        "Marquee's action server is rasa_sdk's app served as `python -m rasa_sdk` serves it, plus a timing "
        "line per webhook call (bench/assistant/timed_action_server.py).",
        "Marquee's support conversations and every second discovery conversation carry a signed token of a "
        "seeded profile; the rest are anonymous.",
    ]
    workdir = Path(tempfile.mkdtemp(prefix="marquee-assistant-bench-"))
    started: list[servers.Server] = []
    try:
        if args.profile_rasa is not None:
            args.profile_rasa.mkdir(parents=True, exist_ok=True)
            notes.append(f"Rasa ran under cProfile (profiles in {args.profile_rasa}): figures are inflated.")
        bare = AssistantRun("bare rasa init", failure="not measured (--only marquee)")
        marquee = AssistantRun("Marquee", failure="not measured (--only bare)")
        model = ensure_marquee_model(notes) if args.only != "bare" else None
        if args.only != "bare" and model is None:
            marquee.failure = "no trained model; see notes"
        # The bare server starts first and idles while Marquee's servers start, so each start-up is timed
        # without the other's; then both are measured in alternating blocks (see measure()).
        subjects: list[Subject] = []
        if args.only != "marquee":
            started_bare = start_bare(workdir, args, notes, started)
            if isinstance(started_bare, Subject):
                subjects.append(started_bare)
                bare = started_bare.run
            else:
                bare = started_bare
        if model is not None:
            started_marquee = start_marquee(workdir, model, args, notes, started)
            if isinstance(started_marquee, Subject):
                subjects.append(started_marquee)
                marquee = started_marquee.run
            else:
                marquee = started_marquee
        measure(subjects, args)
        for subject in subjects:
            subject.memory.stop()
            subject.run.peak_rss_kib = subject.memory.peak_tree_kib
            subject.run.peak_hwm_kib = subject.memory.peak_hwm_kib
            note_failures_in_logs(subject, notes)
    finally:
        for server in reversed(started):
            servers.stop(server)
        if args.keep_workdir:
            logger.info("kept %s (bots, database, server logs)", workdir)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    table = render(bare, marquee, args, notes)
    RESULTS.write_text(table)
    print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
