"""What an import did: counts, the rows it skipped and why, and the lines a failed batch left out."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True, slots=True)
class LineNote:
    """A row that was skipped, or imported with a caveat, and why."""

    line: int | None  # None for a note about the whole file
    reason: str

    def __str__(self) -> str:
        return self.reason if self.line is None else f"line {self.line}: {self.reason}"


@dataclass(frozen=True, slots=True)
class FailedBatch:
    """A batch the database refused; its transaction was rolled back, so none of its rows were written."""

    first_line: int
    last_line: int
    error: str


@dataclass
class ImportReport:
    """Counts per row read: each data row ends up inserted, updated, unchanged, skipped or a duplicate."""

    what: str
    path: Path
    source: str
    read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: list[LineNote] = field(default_factory=list)
    duplicates: list[LineNote] = field(default_factory=list)
    warnings: list[LineNote] = field(default_factory=list)
    failed_batch: FailedBatch | None = None
    # Extra tallies worth showing, e.g. accounts created or ratings with a neutral score.
    details: Counter[str] = field(default_factory=Counter)
    # Reports of files read on the way, e.g. the items file of an interactions import.
    parts: list[ImportReport] = field(default_factory=list)

    def skip(self, line: int, reason: str) -> None:
        self.skipped.append(LineNote(line, reason))

    def duplicate(self, line: int, reason: str) -> None:
        self.duplicates.append(LineNote(line, reason))

    def warn(self, line: int | None, reason: str) -> None:
        self.warnings.append(LineNote(line, reason))

    def count(self, outcome: str) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)

    @property
    def complete(self) -> bool:
        """True when every row of every file was imported (duplicates and warnings are not failures)."""
        return not self.skipped and self.failed_batch is None and all(p.complete for p in self.parts)

    def summary(self, max_lines: int = 20) -> str:
        """A human-readable account, showing at most `max_lines` skipped rows per list."""
        lines: list[str] = []
        for part in self.parts:
            lines += [part.summary(max_lines), ""]
        lines.append(f"{self.what} from {self.path} (source '{self.source}'):")
        lines.append(
            f"  {self.read} rows read: {self.inserted} inserted, {self.updated} updated, "
            f"{self.unchanged} unchanged, {len(self.skipped)} skipped, {len(self.duplicates)} duplicates"
        )
        for name, value in sorted(self.details.items()):
            lines.append(f"  {name}: {value}")
        lines += self._listing("skipped rows", self.skipped, max_lines)
        lines += self._listing(
            "duplicates (skipped, the first occurrence was kept)", self.duplicates, max_lines
        )
        lines += self._listing("imported with warnings", self.warnings, max_lines)
        if self.failed_batch is not None:
            failed = self.failed_batch
            lines.append(
                f"  lines {failed.first_line}-{failed.last_line} were NOT imported: the database refused "
                f"the batch ({failed.error}) and it was rolled back. The import stopped there, so later "
                "lines were not imported either. Fix the cause and run the same command again; rows "
                "already imported stay as they are."
            )
        return "\n".join(lines)

    @staticmethod
    def _listing(title: str, notes: list[LineNote], max_lines: int) -> list[str]:
        if not notes:
            return []
        shown = [f"    {note}" for note in notes[:max_lines]]
        more = len(notes) - len(shown)
        tail = [f"    ... and {more} more"] if more else []
        return [f"  {title} ({len(notes)}):", *shown, *tail]
