"""The stalking log (issue 16, docs/design.md §7): the victim's own entries and evidence.

Only the victim reaches ``/diary…`` (any other role: 404, like every page that is not theirs);
a granted caseworker reads what she shares at ``/plans/N/diary`` (app/diary/shared.py).
Each route is a declaration on :func:`app.auth.endpoints.endpoint`: role and form on the loop,
one hop for the database and the render, a write committed before anything is rendered. Plain
forms answer 303; htmx requests from the log page get the log (form and list) in place.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Route

from app import audit, db, inputs, state
from app.auth import labels
from app.auth.endpoints import Call, Later, Reply, endpoint, plain_call
from app.auth.models import Role
from app.clock import now
from app.diary import evidence as files
from app.diary import export, offline, queries, shared
from app.diary.forms import clean_entry, draft_of, local_input, parse_day, unsealed
from app.diary.models import MAX_LINE, MAX_TEXT, DiaryEntry, Evidence
from app.i18n import N_, _
from app.plans.once import Once
from app.plans.resource import route
from app.versions import StaleWrite
from app.web import is_htmx, render

VICTIM = (Role.victim,)
PAGE, LOG = "diary/diary.html", "diary/_log.html"
CHANGED = N_("The entry was changed in another window. Here is what you typed; save again.")
UPLOAD_ERRORS = {
    "missing": N_("Choose a file."),
    "type": N_(
        "That file cannot be kept here. Choose a photo or screenshot (JPEG, PNG, HEIC) or a PDF."
    ),
    "size": N_("The file is larger than 10 MB. Choose a smaller file."),
    "empty": N_("The file is empty."),
    "description": N_("Write what the file shows."),
    "long": N_("This text can be at most 1000 characters."),
    "line": N_("This text can be at most 100 characters."),
}


def me(call: Call) -> int:
    return call.user.id  # type: ignore[return-value]


def entry_of(call: Call) -> DiaryEntry:
    entry = queries.entry_of(call.session, me(call), call.param("entry_id"))
    if entry is None:
        raise HTTPException(404)
    return entry


def fresh_form() -> dict[str, Any]:
    return {"when": local_input(now())}


def log_context(call: Call, **extra: Any) -> dict[str, Any]:
    params = call.request.query_params
    start, end = parse_day(params.get("from")), parse_day(params.get("to"))
    if start and end and start > end:
        start, end = end, start
    entries = queries.entries(call.session, me(call), start=start, end=end)
    bilag = queries.evidence(call.session, me(call))
    by_entry: dict[int, list[Evidence]] = {}
    for row in bilag:
        if row.entry_id is not None:
            by_entry.setdefault(row.entry_id, []).append(row)
    writers = labels.changer_labels(call.session, {e.created_by_id for e in entries})
    return {
        "entries": entries,
        "writers": writers,
        "deleted_entries": queries.entries(call.session, me(call), deleted=True),
        "bilag_of": by_entry,
        "start": start,
        "end": end,
        "values": fresh_form(),
        "errors": {},
        "deleted": None,
        "saved": None,
        **extra,
    }


def log(call: Call, status: int = 200, **extra: Any) -> Later:
    return lambda c: render(
        c.request, PAGE, log_context(c, **extra), partial=LOG, status_code=status
    )


def entry_context(call: Call, entry: DiaryEntry, **extra: Any) -> dict[str, Any]:
    versions = queries.history(call.session, entry.id)  # type: ignore[arg-type]
    people = labels.changer_labels(call.session, {v.replaced_by_id for v in versions})
    return {
        "entry": entry,
        "values": draft_of(entry),
        "errors": {},
        "notice": None,
        "history": [(v, unsealed(v.data)) for v in versions],
        "people": people,
        "bilag": [b for b in queries.evidence(call.session, me(call)) if b.entry_id == entry.id],
        "upload_errors": {},
        **extra,
    }


# ---------------------------------------------------------------- entries


def diary_page(call: Call) -> Reply:
    deleted = queries.entry_of(
        call.session, me(call), inputs.parse_id(call.request.query_params.get("deleted"))
    )
    return log(call, deleted=deleted if deleted and deleted.deleted_at else None)


def new_page(call: Call) -> Reply:
    """Quick entry alone on one screen (the plan's »Skriv i loggen« leads here)."""
    return lambda c: render(c.request, "diary/new.html", {"values": fresh_form(), "errors": {}})


def add_entry(call: Call) -> Reply:
    values, errors = clean_entry(call.form)
    if errors:
        if call.form.get("from") == "new" and not is_htmx(call.request):
            context = {"values": values, "errors": errors}
            return lambda c: render(c.request, "diary/new.html", context, status_code=422)
        return log(call, 422, values=values, errors=errors)
    once = Once(call.session, me(call), call.form)
    made = once.seen()  # a double tap saves once
    if made is None:
        entry = queries.add_entry(call.session, me(call), values, call.user)
        once.made(entry.id)
        made = str(entry.id)
    if is_htmx(call.request):
        return log(call, saved=int(made) if made else None)
    return RedirectResponse(f"/diary#entry-{made}", status_code=303)


def add_offline(call: Call) -> Reply:
    """An entry the phone sealed while offline (app/diary/offline.py), sent once it is online:
    opened here and saved like the quick entry, once per key (a repeat adds nothing). Answers
    the phone's script in JSON; its errors in Danish."""
    once = Once(call.session, me(call), call.form)
    if once.key is None:
        raise inputs.BadInput(offline.UNREADABLE)
    values, errors = clean_entry(offline.opened(state.settings(call.request), call.form))
    if errors:
        return JSONResponse({"errors": errors}, status_code=422)
    made = once.seen()
    if made is None:
        entry = queries.add_entry(call.session, me(call), values, call.user)
        once.made(entry.id)
        made = str(entry.id)
    return JSONResponse({"entry": int(made) if made else None})


def entry_page(call: Call) -> Reply:
    entry = entry_of(call)  # a read: rendered in the same session
    return lambda c: render(c.request, "diary/entry.html", entry_context(c, entry))


def edit_entry(call: Call) -> Reply:
    entry, version = entry_of(call), call.version
    values, errors = clean_entry(call.form)
    if errors or entry.deleted_at is not None:
        return lambda c: render(
            c.request,
            "diary/entry.html",
            entry_context(c, entry_of(c), values=values, errors=errors),
            status_code=422 if errors else 409,
        )
    queries.edit_entry(call.session, entry, version, values, call.user)
    return RedirectResponse(f"/diary#entry-{entry.id}", status_code=303)


def edit_stale(call: Call, _stale: StaleWrite) -> Reply:
    values, _errors = clean_entry(call.form)

    def later(c: Call) -> Response:
        context = entry_context(c, entry_of(c), values=values, notice=_(CHANGED))
        return render(c.request, "diary/entry.html", context, status_code=409)

    return later


def delete_entry(call: Call) -> Reply:
    """Soft: the entry leaves the log and every export, and can be brought back."""
    entry = entry_of(call)
    queries.delete_entry(call.session, entry, call.version, call.user)
    return RedirectResponse(f"/diary?deleted={entry.id}#undo", status_code=303)


def restore_entry(call: Call) -> Reply:
    entry = entry_of(call)
    queries.restore_entry(call.session, entry, call.version, call.user)
    return RedirectResponse(f"/diary#entry-{entry.id}", status_code=303)


def stale(call: Call, _stale: StaleWrite) -> Reply:
    return log(call, 409, notice=_(CHANGED))


# ---------------------------------------------------------------- evidence


async def read_upload(request: Request) -> FormData:
    """The upload form, parsed in memory: the file never touches the disk in clear (Starlette
    would spool a part over 1 MB to a temporary file). The body limit for this path is
    :data:`app.diary.evidence.BODY_LIMIT`."""
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        return inputs.clean_form(await request.form())  # no file in it: refused below
    parser = MultiPartParser(request.headers, request.stream(), max_files=1, max_fields=20)
    parser.spool_max_size = files.BODY_LIMIT + 1
    try:
        form = await parser.parse()
    except MultiPartException:
        raise HTTPException(400) from None
    return inputs.clean_form(form)


def evidence_context(call: Call, **extra: Any) -> dict[str, Any]:
    entries = queries.entries(call.session, me(call))
    return {
        "bilag": queries.evidence(call.session, me(call)),
        "entries": entries,
        "errors": {},
        "values": {},
        "just_added": None,
        "media": files.MEDIA,
        **extra,
    }


def evidence_page(call: Call) -> Reply:
    added = inputs.parse_id(call.request.query_params.get("added"))
    return lambda c: render(c.request, "diary/evidence.html", evidence_context(c, just_added=added))


def upload_errors(call: Call) -> tuple[dict[str, Any], dict[str, str], bytes]:
    description = inputs.text(call.form, "description", multiline=True)
    original = " ".join(inputs.text(call.form, "original").split())
    entry = queries.entry_of(call.session, me(call), inputs.parse_id(call.form.get("entry")))
    values = {
        "description": description,
        "original": original,
        "entry": entry.id if entry is not None else None,
    }
    errors: dict[str, str] = {}
    upload = call.form.get("file")
    data = b""
    if not isinstance(upload, UploadFile) or not upload.filename:
        errors["file"] = _(UPLOAD_ERRORS["missing"])
    else:
        upload.file.seek(0)
        data = upload.file.read(files.MAX_BYTES + 1)
        if len(data) > files.MAX_BYTES:
            errors["file"] = _(UPLOAD_ERRORS["size"])
        elif not data:
            errors["file"] = _(UPLOAD_ERRORS["empty"])
        elif files.kind_of(data) is None:
            errors["file"] = _(UPLOAD_ERRORS["type"])
    if not description:
        errors["description"] = _(UPLOAD_ERRORS["description"])
    elif len(description) > MAX_TEXT:
        errors["description"] = _(UPLOAD_ERRORS["long"])
    if len(original) > MAX_LINE:
        errors["original"] = _(UPLOAD_ERRORS["line"])
    return values, errors, data


def add_evidence(call: Call) -> Reply:
    """Checked before anything is stored: the type by its first bytes, the size, the text."""
    values, errors, data = upload_errors(call)
    checked = files.check(data) if not errors else None
    if checked is None:
        context = {"errors": errors, "values": values}
        return lambda c: render(
            c.request, "diary/evidence.html", evidence_context(c, **context), status_code=422
        )
    row = Evidence(
        victim_id=me(call),
        number=queries.next_number(call.session, me(call)),
        entry_id=values["entry"],
        description=values["description"],
        original=values["original"],
        kind=checked.kind,
        size=checked.size,
        sha256=checked.sha256,
        has_position=checked.has_position,
        uploaded_by_id=call.user.id,
    )
    call.session.add(row)
    call.session.flush()
    files.store(call.session, row.id, data)  # type: ignore[arg-type]
    audit.own_event(call.request, call.session, me(call), "evidence_added", f"bilag={row.number}")
    return RedirectResponse(f"/diary/evidence?added={row.id}#bilag-{row.number}", status_code=303)


def view_evidence(call: Call) -> Reply:
    """The decrypted file, to her alone, never cached; read chunk by chunk."""
    row = queries.evidence_of(call.session, me(call), call.param("evidence_id"))
    if row is None:
        raise HTTPException(404)
    return stream_file(call.request, row)


def stream_file(request: Request, row: Evidence) -> Response:
    engine = state.engine(request)

    def body() -> Iterator[bytes]:
        with db.read_session(engine) as session:
            yield from files.chunks(session, row)

    media, ext = files.MEDIA[row.kind]
    disposition = "inline" if row.kind in ("jpeg", "png") else "attachment"
    headers = {
        "Content-Length": str(row.size),
        "Content-Disposition": f'{disposition}; filename="bilag-{row.number:02d}.{ext}"',
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
    }
    return StreamingResponse(body(), media_type=media, headers=headers)


def mine(handler: Any, write: bool = False, **extra: Any) -> Any:
    """The victim's own route: one hop, no step of its own (everyone else: 404)."""
    return endpoint(handler, VICTIM, write=write, prepare=plain_call, **extra)


E = "/diary/{entry_id:id}"
POST = ["POST"]
routes = [
    Route("/diary", mine(diary_page), name="diary"),
    Route("/diary", mine(add_entry, True), methods=POST),
    Route("/diary/new", mine(new_page)),
    Route("/diary/offline", mine(add_offline, True), methods=POST),
    Route("/diary/sharing", mine(shared.sharing_page)),
    Route("/diary/sharing", mine(shared.save_sharing, True), methods=POST),
    # A granted caseworker's view, when she shares her log (app/diary/shared.py).
    route("/plans/{plan_id:id}/diary", shared.shared_page, read=None),
    route("/plans/{plan_id:id}/diary", shared.write_for_her, write=True),
    Route("/diary/evidence", mine(evidence_page)),
    Route("/diary/evidence", mine(add_evidence, True, read_form=read_upload), methods=POST),
    Route("/diary/evidence/{evidence_id:id}", mine(view_evidence)),
    Route("/diary/export", mine(export.export_page)),
    Route("/diary/export.csv", mine(export.export_csv)),
    Route("/diary/export.zip", mine(export.export_zip)),
    Route(E, mine(entry_page)),
    Route(E, mine(edit_entry, True, on_stale=edit_stale), methods=POST),
    Route(E + "/delete", mine(delete_entry, True, on_stale=stale), methods=POST),
    Route(E + "/restore", mine(restore_entry, True, on_stale=stale), methods=POST),
]
