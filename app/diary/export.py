"""The export for the police (issue 16 point 7): the entries she chooses, never one marked
»udelad af eksport« and never a deleted one, newest first and numbered; the key examples
summarised at the top; a printable page, a CSV for Excel on Danish Windows, and a ZIP with the
page, the CSV, every bilag and a manifest of SHA-256 sums.

The ZIP is streamed: one bilag chunk in memory at a time. Before the first byte every bilag's
hash is checked against the one recorded at upload (a mismatch: a page that says so, no
download); while it is sent the hash is checked again, and a mismatch or any error aborts the
response, so the browser reports a failed download and keeps no partial file (a cut ZIP also
lacks its central directory, so it never opens as a complete one).
"""

from __future__ import annotations

import csv
import hashlib
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from app import db, inputs, state
from app.auth.endpoints import Call, Reply
from app.diary import evidence as files
from app.diary import queries
from app.diary.models import DiaryEntry, Evidence
from app.i18n import _
from app.web import local_time, render, render_text

PAGE = "diary/export.html"


@dataclass(frozen=True)
class Numbered:
    number: int
    entry: DiaryEntry
    bilag: list[Evidence]


@dataclass(frozen=True)
class Export:
    all_entries: list[DiaryEntry]  # what she can choose from (not deleted)
    chosen_ids: set[int]
    rows: list[Numbered]  # newest first, numbered from 1
    bilag: list[Evidence]  # of the chosen entries, by number

    @property
    def keys(self) -> list[Numbered]:
        return [row for row in self.rows if row.entry.key_example]

    @property
    def journals(self) -> list[str]:
        return list(dict.fromkeys(r.entry.journal for r in self.rows if r.entry.journal))

    @property
    def officers(self) -> list[str]:
        return list(dict.fromkeys(r.entry.officer for r in self.rows if r.entry.officer))

    @property
    def query(self) -> str:
        return "&".join(f"entry={row.entry.id}" for row in self.rows)


def gather(session: Session, request: Request, victim_id: int) -> Export:
    """``?entry=…`` chooses entries; without any, every entry not left out."""
    entries = queries.entries(session, victim_id)
    asked = {inputs.parse_id(v) for v in request.query_params.getlist("entry")}
    chosen = (
        {e.id for e in entries if e.id in asked}
        if asked or "chosen" in request.query_params
        else {e.id for e in entries if not e.leave_out}
    )
    picked = [e for e in entries if e.id in chosen and not e.leave_out]
    bilag = queries.evidence(session, victim_id)
    by_entry: dict[int | None, list[Evidence]] = {}
    for row in bilag:
        by_entry.setdefault(row.entry_id, []).append(row)
    rows = [Numbered(i, e, by_entry.get(e.id, [])) for i, e in enumerate(picked, start=1)]
    used = [b for row in rows for b in row.bilag]
    return Export(entries, {e.id for e in picked}, rows, sorted(used, key=lambda b: b.number))  # type: ignore[misc]


def context(export: Export, **extra: Any) -> dict[str, Any]:
    return {"export": export, "local_time": local_time, **extra}


def export_page(call: Call) -> Reply:
    """The preview (the warning and the choice) and, below it, the page to print."""
    export = gather(call.session, call.request, call.user.id)  # type: ignore[arg-type]
    return lambda c: render(c.request, PAGE, context(export, preview=True))


# ---------------------------------------------------------------- CSV


def columns() -> list[str]:
    return [
        _("No."),
        _("Date"),
        _("Time"),
        _("Where"),
        _("What happened"),
        _("How it affected me"),
        _("Witnesses"),
        _("Bilag"),
        _("Key example"),
        _("Police journal number"),
        _("Police officer"),
    ]


FORMULA = ("=", "+", "-", "@", "\t", "\r")


def cell(value: str) -> str:
    """Text that Excel would run as a formula (»=HYPERLINK(…)«) starts with an apostrophe, which
    Excel shows as text: the police open this file."""
    return "'" + value if value.startswith(FORMULA) else value


def csv_text(export: Export) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(columns())
    for row in export.rows:
        e = row.entry
        day, clock = local_time(e.happened_at).split(" ")
        writer.writerow(
            [
                row.number,
                day,
                clock,
                cell(e.place),
                cell(e.what),
                cell(e.effect),
                cell(e.witnesses),
                ", ".join(str(b.number) for b in row.bilag),
                _("Yes") if e.key_example else "",
                cell(e.journal),
                cell(e.officer),
            ]
        )
    return "\ufeff" + out.getvalue()


def export_csv(call: Call) -> Reply:
    export = gather(call.session, call.request, call.user.id)  # type: ignore[arg-type]
    body = csv_text(export).encode("utf-8")
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="log.csv"'},
    )


# ---------------------------------------------------------------- ZIP


class _Sink(io.RawIOBase):
    """Where :class:`zipfile.ZipFile` writes; the generator takes what was written."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.position = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        chunk = bytes(data)
        self.parts.append(chunk)
        self.position += len(chunk)
        return len(chunk)

    def tell(self) -> int:
        return self.position

    def take(self) -> bytes:
        out, self.parts = b"".join(self.parts), []
        return out


class ChangedFile(Exception):
    """A bilag's bytes no longer match the SHA-256 recorded at upload: the export stops."""


def manifest(export: Export, page: str, table: str) -> str:
    lines = [
        _("Check with: sha256sum -c (each line: SHA-256, two spaces, file name)."),
        "",
        "# " + _("SHA-256, size in bytes, uploaded at, file"),
    ]
    for b in export.bilag:
        lines.append(f"{b.sha256}  {files.filename(b)}")
    lines.append("")
    for b in export.bilag:
        lines.append(f"# {b.sha256} {b.size} {b.uploaded_at.isoformat()} {files.filename(b)}")
    for name, text in (("log.html", page), ("log.csv", table)):
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
        lines.append(f"# {digest} {len(text.encode('utf-8'))} - {name}")
    return "\n".join(lines) + "\n"


def zip_stream(engine: Any, export: Export, page: str, table: str) -> Iterator[bytes]:
    sink = _Sink()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("log.html", page)
        archive.writestr("log.csv", table)
        archive.writestr("manifest-sha256.txt", manifest(export, page, table))
        yield sink.take()
        with db.read_session(engine) as session:
            for b in export.bilag:
                info = zipfile.ZipInfo(files.filename(b), b.uploaded_at.timetuple()[:6])
                info.compress_type = zipfile.ZIP_STORED
                digest = hashlib.sha256()
                with archive.open(info, "w") as out:
                    for chunk in files.chunks(session, b):
                        digest.update(chunk)
                        out.write(chunk)
                        yield sink.take()
                if digest.hexdigest() != b.sha256:
                    raise ChangedFile(f"bilag {b.id}")
    yield sink.take()


def unchanged(session: Session, bilag: list[Evidence]) -> bool:
    """Every bilag still has the SHA-256 recorded at upload (read one chunk at a time)."""
    for b in bilag:
        digest = hashlib.sha256()
        for chunk in files.chunks(session, b):
            digest.update(chunk)
        if digest.hexdigest() != b.sha256:
            return False
    return True


def export_zip(call: Call) -> Reply:
    """Checked before the first byte is sent: a bilag that no longer matches its hash stops
    the export with a page that says so, instead of a download that would be wrong."""
    export = gather(call.session, call.request, call.user.id)  # type: ignore[arg-type]
    if not unchanged(call.session, export.bilag):
        return lambda c: render(c.request, "diary/export_failed.html", {}, status_code=409)
    page = render_text(call.request, "diary/export_file.html", context(export, preview=False))
    table = csv_text(export)
    engine = state.engine(call.request)
    return StreamingResponse(
        zip_stream(engine, export, page, table),
        media_type="application/zip",
        headers={"Content-Disposition": 'attachment; filename="log.zip"'},
    )
