"""Versioned model artifacts: save a fitted model with its catalog and a manifest, switch to it atomically.

Layout under the artifact root:

    <root>/<model name>/<version>/model.npz       the model state (numpy arrays only, loaded without pickle)
    <root>/<model name>/<version>/items.json      the catalog metadata the ranking filters on
    <root>/<model name>/<version>/manifest.json   format version, created, data fingerprint, params, metrics,
                                                  sha256 of each file
    <root>/<model name>/current -> <version>      symlink, replaced atomically (os.replace)

A version directory is written under a temporary name and renamed into place when complete, so a reader never
sees half an artifact; `current` then flips in one rename, so a running action server either loads the old
model or the new one.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import logging
import os
import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from recommender.dataset import ItemMetadata
from recommender.models.base import Recommender, model_from_state

logger = logging.getLogger(__name__)

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
MODEL_FILE = "model.npz"
ITEMS_FILE = "items.json"
CURRENT = "current"


class ArtifactError(ValueError):
    """An artifact directory that cannot be loaded; the message says what is wrong and what to do."""


@dataclass(frozen=True)
class Artifact:
    model: Recommender
    items: ItemMetadata | None
    manifest: dict[str, Any]
    path: Path


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _title_record(title: Any) -> dict[str, Any]:
    record = dataclasses.asdict(title)
    record["regions"] = sorted(record["regions"])
    return record


def save(
    model: Recommender,
    root: str | Path,
    items: ItemMetadata | None = None,
    metrics: dict[str, Any] | None = None,
    extras: dict[str, Any] | None = None,
) -> Path:
    """Write `model` (fitted) as a new version under `root` and make it current; returns the version dir."""
    data = model.data  # NotFittedError for an unfitted model
    fingerprint = data.fingerprint()
    created = dt.datetime.now(dt.UTC)
    version = f"{created:%Y%m%dT%H%M%S%fZ}-{fingerprint[:8]}"
    family = Path(root) / model.name
    family.mkdir(parents=True, exist_ok=True)
    staging = family / f".incoming-{version}-{secrets.token_hex(4)}"
    staging.mkdir()
    try:
        model.save(staging / MODEL_FILE)
        files = [MODEL_FILE]
        if items is not None:
            records = [_title_record(t) for t in items.records()]
            (staging / ITEMS_FILE).write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
            files.append(ITEMS_FILE)
        manifest = {
            "format_version": FORMAT_VERSION,
            "model": model.name,
            "version": version,
            "created": created.isoformat(),
            "data_fingerprint": fingerprint,
            "counts": {"users": data.n_users, "items": data.n_items, "interactions": int(data.matrix.nnz)},
            "params": model.params,
            "metrics": metrics or {},
            "files": {name: _sha256(staging / name) for name in files},
            **(extras or {}),
        }
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True), encoding="utf-8")
        target = family / version
        os.rename(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    _switch_current(family, version)
    logger.info("saved %s artifact %s (%d users, %d items)", model.name, target, data.n_users, data.n_items)
    return target


def _switch_current(family: Path, version: str) -> None:
    link = family / f".current-{secrets.token_hex(4)}"
    os.symlink(version, link)
    os.replace(link, family / CURRENT)


def resolve(path: str | Path) -> Path:
    """The version directory meant by `path`: a version dir, a model family dir (its `current`), or a root
    holding exactly one model family."""
    path = Path(path)
    if not path.exists():
        raise ArtifactError(f"{path} does not exist. Pass the --out directory of `python -m recommender fit`")
    if (path / MANIFEST).is_file():
        return path
    if (path / CURRENT).exists():
        return (path / CURRENT).resolve()
    families = [p for p in sorted(path.iterdir()) if (p / CURRENT).exists()] if path.is_dir() else []
    if len(families) == 1:
        return (families[0] / CURRENT).resolve()
    if len(families) > 1:
        names = ", ".join(p.name for p in families)
        raise ArtifactError(f"{path} holds several models ({names}); pass one of them, e.g. {families[0]}")
    raise ArtifactError(
        f"{path} holds no model artifact (no {MANIFEST} and no '{CURRENT}' link). Fit a model first"
    )


def read_manifest(version_dir: Path) -> dict[str, Any]:
    manifest_path = version_dir / MANIFEST
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ArtifactError(
            f"{manifest_path} is missing; the artifact is incomplete. Fit the model again"
        ) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ArtifactError(
            f"{manifest_path} is not valid JSON ({exc}); the artifact is corrupt. Fit again"
        ) from None
    if not isinstance(manifest, dict):
        raise ArtifactError(
            f"{manifest_path} is not a JSON object; the artifact is corrupt. Fit the model again"
        )
    version = manifest.get("format_version")
    if version != FORMAT_VERSION:
        raise ArtifactError(
            f"{manifest_path} has format version {version!r}; this code reads version {FORMAT_VERSION}. "
            "Refit the model with this version of the recommender"
        )
    for key in ("model", "data_fingerprint", "params", "files"):
        if key not in manifest:
            raise ArtifactError(
                f"{manifest_path} lacks '{key}'; the artifact is corrupt. Fit the model again"
            )
    return manifest


def load(path: str | Path, verify: bool = True) -> Artifact:
    """Load and validate an artifact; `verify` checks every file's sha256 against the manifest."""
    version_dir = resolve(path)
    manifest = read_manifest(version_dir)
    for name, expected in manifest["files"].items():
        file_path = version_dir / name
        if not file_path.is_file():
            raise ArtifactError(f"{file_path} is missing; the artifact is incomplete. Fit the model again")
        if verify and _sha256(file_path) != expected:
            raise ArtifactError(
                f"{file_path} does not match its checksum in {MANIFEST}; it is corrupt. Fit again"
            )
    try:
        with np.load(version_dir / MODEL_FILE, allow_pickle=False) as archive:
            model = model_from_state({key: archive[key] for key in archive.files})
    except (ValueError, KeyError, OSError) as exc:
        raise ArtifactError(
            f"{version_dir / MODEL_FILE} cannot be read as a model ({exc}). Fit again"
        ) from None
    if model.name != manifest["model"]:
        raise ArtifactError(
            f"{version_dir} holds a {model.name!r} model but its manifest says {manifest['model']!r}. Fit again"
        )
    items = None
    if ITEMS_FILE in manifest["files"]:
        records = json.loads((version_dir / ITEMS_FILE).read_text(encoding="utf-8"))
        items = ItemMetadata.from_records(records).align(model.data.item_ids)
        model.items = items
    logger.info("loaded %s artifact %s", model.name, version_dir)
    return Artifact(model=model, items=items, manifest=manifest, path=version_dir)
