"""The stalking log (issue 16): entries, quick entry, history, soft delete, evidence, exports."""

from __future__ import annotations

import csv
import hashlib
import io
import re
import struct
import zipfile
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlmodel import select

from app import db
from app.clock import now
from app.diary.forms import local_input
from app.diary.models import DiaryEntry, DiaryVersion, Evidence
from tests.conftest import csrf_token
from tests.factories import engine_of, make_victim, signed_in
from tests.factories import form as post

HTMX = {"HX-Request": "true"}
SECRET = "Han stod ved Æblehavens låge igen"


@pytest.fixture
def victim_client(client):
    victim = make_victim(client, "Maja")
    signed_in(client, victim)
    client.victim = victim
    return client


def when(minutes_ago: int = 5) -> str:
    return local_input(now() - timedelta(minutes=minutes_ago))


def add(client, what=SECRET, minutes_ago=5, **extra):
    r = post(client, "/diary", what=what, when=when(minutes_ago), **extra)
    assert r.status_code == 303, r.text
    return int(r.headers["location"].rsplit("-", 1)[1])


def rows(client, deleted=False):
    with db.read_session(engine_of(client)) as s:
        found = s.exec(select(DiaryEntry).order_by(DiaryEntry.id)).all()
    return [e for e in found if deleted or e.deleted_at is None]


# ---------------------------------------------------------------- entries


def test_an_entry_with_every_field_is_saved_and_listed(victim_client):
    c = victim_client
    page = c.get("/diary")
    assert page.status_code == 200
    assert 'name="when"' in page.text and 'value="' in page.text
    entry_id = add(
        c,
        place="Kongensgade, Esbjerg",
        effect="Jeg turde ikke gå hjem",
        witnesses="Naboen Søren",
        journal="3700-80123-00456-26",
        officer="Betjent Hansen",
        key_example="1",
        leave_out="",
    )
    (entry,) = rows(c)
    assert entry.id == entry_id and entry.what == SECRET and entry.key_example
    assert (entry.place, entry.officer) == ("Kongensgade, Esbjerg", "Betjent Hansen")
    page = c.get("/diary")
    assert SECRET in page.text and "Nøgleeksempel" in page.text


def test_newest_first_and_filter_by_period(victim_client):
    c = victim_client
    add(c, "gammel", minutes_ago=60 * 24 * 40)
    add(c, "ny", minutes_ago=10)
    add(c, "midt", minutes_ago=60 * 24 * 3)
    page = c.get("/diary").text
    assert page.index("ny") < page.index("midt") < page.index("gammel")
    start = (now() - timedelta(days=10)).date().isoformat()
    filtered = c.get(f"/diary?from={start}").text
    assert "midt" in filtered and "gammel" not in filtered


def test_a_time_in_the_future_is_refused(victim_client):
    c = victim_client
    r = post(c, "/diary", what="x", when=local_input(now() + timedelta(minutes=5)))
    assert r.status_code == 422
    assert "Det tidspunkt er ikke kommet endnu" in r.text
    assert rows(c) == []
    r = post(c, "/diary", what="x", when="i går")
    assert r.status_code == 422 and rows(c) == []


def test_quick_entry_with_htmx_updates_the_list_in_place(victim_client):
    c = victim_client
    c.get("/diary")
    r = post(c, "/diary", headers=HTMX, what=SECRET, when=when())
    assert r.status_code == 200
    assert r.text.lstrip().startswith('<div id="diary"')
    assert SECRET in r.text and "Gemt i din log" in r.text


def test_a_double_tap_saves_once(victim_client):
    c = victim_client
    data = {"what": SECRET, "when": when(), "form_key": "k" * 20}
    assert post(c, "/diary", **data).status_code == 303
    assert post(c, "/diary", **data).status_code == 303
    assert len(rows(c)) == 1


def test_text_is_encrypted_at_rest(victim_client):
    c = victim_client
    add(c, witnesses="Naboen Søren")
    with db.read_session(engine_of(c)) as s:
        raw = s.execute(text("SELECT what, witnesses FROM diary_entry")).all()
    for blob in raw[0]:
        assert SECRET.encode() not in bytes(blob) and b"Naboen" not in bytes(blob)


def test_quick_entry_page_stands_alone(victim_client):
    c = victim_client
    page = c.get("/diary/new")
    assert page.status_code == 200 and "autofocus" in page.text
    r = post(c, "/diary", what="", when=when(), **{"from": "new"})
    assert r.status_code == 422 and "Skriv, hvad der skete." in r.text


# ---------------------------------------------------------------- never silently changed


def test_an_edit_keeps_the_earlier_text_as_history(victim_client):
    c = victim_client
    entry_id = add(c, "første udgave")
    r = post(c, f"/diary/{entry_id}", what="anden udgave", when=when(), version="1")
    assert r.status_code == 303
    page = c.get(f"/diary/{entry_id}").text
    assert "anden udgave" in page and "første udgave" in page
    assert "af dig" in page and "Tidligere tekst" in page
    with db.read_session(engine_of(c)) as s:
        assert len(s.exec(select(DiaryVersion)).all()) == 1


def test_a_stale_edit_is_refused_and_keeps_what_she_typed(victim_client):
    c = victim_client
    entry_id = add(c, "første")
    post(c, f"/diary/{entry_id}", what="anden", when=when(), version="1")
    r = post(c, f"/diary/{entry_id}", what="min tekst", when=when(), version="1")
    assert r.status_code == 409 and "min tekst" in r.text
    assert rows(c)[0].what == "anden"


def test_delete_is_soft_undoable_and_never_exported(victim_client):
    c = victim_client
    entry_id = add(c)
    r = post(c, f"/diary/{entry_id}/delete", version="1")
    assert r.status_code == 303
    page = c.get(r.headers["location"]).text
    assert "Fortryd" in page
    assert SECRET not in c.get("/diary/export").text
    assert SECRET not in c.get("/diary/export.csv").content.decode("utf-8-sig")
    assert rows(c) == [] and len(rows(c, deleted=True)) == 1
    assert post(c, f"/diary/{entry_id}/restore", version="2").status_code == 303
    assert rows(c)[0].what == SECRET


# ---------------------------------------------------------------- evidence


def jpeg_with_gps() -> bytes:
    ifd = struct.pack("<H", 1) + struct.pack("<HHII", 0x8825, 4, 1, 26) + struct.pack("<I", 0)
    tiff = b"II*\x00" + struct.pack("<I", 8) + ifd
    exif = b"Exif\x00\x00" + tiff
    app1 = b"\xff\xe1" + struct.pack(">H", len(exif) + 2) + exif
    return b"\xff\xd8" + app1 + b"\xff\xda" + b"PIXELS-SECRET" * 100 + b"\xff\xd9"


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 20 + b"PNG-SECRET"
PDF = b"%PDF-1.7\nPDF-SECRET\n%%EOF"


def upload(client, data, name="foto.jpg", description="Skærmbillede af sms", **extra):
    return client.post(
        "/diary/evidence",
        data={"csrftoken": csrf_token(client), "description": description, **extra},
        files={"file": (name, data, "application/octet-stream")},
        follow_redirects=False,
    )


def test_evidence_is_numbered_hashed_and_streamed_to_her_only(victim_client):
    c = victim_client
    data = jpeg_with_gps()
    r = upload(c, data, original="Min gamle telefon")
    assert r.status_code == 303, r.text
    page = c.get(r.headers["location"]).text
    assert "Bilag 1" in page and hashlib.sha256(data).hexdigest() in page
    assert "slette originalen" in page and "position" in page
    assert upload(c, PDF, "brev.pdf").status_code == 303
    with db.read_session(engine_of(c)) as s:
        bilag = s.exec(select(Evidence).order_by(Evidence.number)).all()
    assert [b.number for b in bilag] == [1, 2]
    assert bilag[0].has_position and not bilag[1].has_position
    got = c.get(f"/diary/evidence/{bilag[0].id}")
    assert got.content == data
    assert got.headers["cache-control"] == "no-store"
    assert got.headers["content-type"] == "image/jpeg"


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (b"MZ\x90\x00 not a photo", "foto.jpg"),  # the name says JPEG, the bytes do not
        (b"<svg onload=alert(1)>", "x.png"),
        (b"", "tom.pdf"),
    ],
)
def test_anything_else_is_refused_in_danish_before_it_is_stored(victim_client, data, name):
    c = victim_client
    r = upload(c, data, name)
    assert r.status_code == 422
    assert "JPEG, PNG, HEIC" in r.text or "tom" in r.text
    with db.read_session(engine_of(c)) as s:
        assert s.exec(select(Evidence)).all() == []
        assert s.execute(text("SELECT count(*) FROM diary_evidence_chunk")).scalar() == 0


def test_a_file_over_10_mb_is_refused(victim_client):
    c = victim_client
    r = upload(c, b"\xff\xd8\xff" + b"\x00" * (10 * 1024 * 1024))
    assert r.status_code == 422 and "10 MB" in r.text


def test_file_content_is_encrypted_at_rest(victim_client):
    c = victim_client
    assert upload(c, PNG, "x.png").status_code == 303
    with db.read_session(engine_of(c)) as s:
        blobs = s.execute(text("SELECT data FROM diary_evidence_chunk")).scalars().all()
        desc = s.execute(text("SELECT description FROM diary_evidence")).scalar()
    assert blobs and all(b"PNG-SECRET" not in bytes(b) for b in blobs)
    assert b"sms" not in bytes(desc)


# ---------------------------------------------------------------- export


def test_export_page_warns_and_leaves_out_what_she_left_out(victim_client):
    c = victim_client
    add(c, "udeladt hændelse", leave_out="1")
    add(c, "ældre hændelse", minutes_ago=120, key_example="1", journal="3700-1")
    add(c, "nyeste hændelse", minutes_ago=1)
    page = c.get("/diary/export").text
    assert "kan få lov at læse" in page
    doc = page[page.index("diary-export") :]
    assert "udeladt hændelse" not in doc
    keys, listed = doc.split("entries-export-heading", 1)
    assert "ældre hændelse" in keys and "nyeste hændelse" not in keys  # the key example on top
    assert listed.index("nyeste hændelse") < listed.index("ældre hændelse")
    assert "3700-1" in doc


def test_export_of_chosen_entries_only(victim_client):
    c = victim_client
    first = add(c, "første")
    add(c, "anden")
    page = c.get(f"/diary/export?chosen=1&entry={first}").text
    doc = page[page.index("diary-export") :]
    assert "første" in doc and "anden" not in doc


def test_csv_is_excel_friendly_with_danish_letters(victim_client):
    c = victim_client
    add(c, 'Æbler; og "citat"\nny linje', minutes_ago=30, place="Østergade")
    add(c, "nyest", minutes_ago=1)
    r = c.get("/diary/export.csv")
    assert r.content.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig")), delimiter=";"))
    assert table[0][:5] == ["Nr.", "Dato", "Tid", "Sted", "Hvad skete der"]
    assert table[1][4] == "nyest"
    assert table[2][3] == "Østergade" and table[2][4] == 'Æbler; og "citat"\nny linje'


def test_zip_manifest_matches_its_files(victim_client):
    c = victim_client
    entry_id = add(c, "med bilag")
    add(c, "udeladt", leave_out="1")
    data = jpeg_with_gps()
    assert upload(c, data, entry=str(entry_id)).status_code == 303
    r = c.get("/diary/export.zip")
    assert r.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(r.content))
    names = archive.namelist()
    assert "log.html" in names and "log.csv" in names
    manifest = archive.read("manifest-sha256.txt").decode()
    checked = 0
    for line in manifest.splitlines():
        match = re.fullmatch(r"([0-9a-f]{64})  (.+)", line)
        if match:
            assert hashlib.sha256(archive.read(match[2])).hexdigest() == match[1]
            checked += 1
    assert checked == 1
    assert "Bilag 01 – Skærmbillede af sms.jpg" in names
    assert archive.read("Bilag 01 – Skærmbillede af sms.jpg") == data
    assert "udeladt" not in archive.read("log.html").decode()
    assert "udeladt" not in archive.read("log.csv").decode("utf-8-sig")


def test_database_and_wal_hold_no_entry_text_or_file_content(victim_client):
    """Grep the SQLite file and its WAL (the evidence store is the database)."""
    c = victim_client
    add(c, witnesses="Naboen Søren Østergaard")
    assert upload(c, PNG, "x.png", description="Skærmbillede fra Facebook").status_code == 303
    path = c.app.state.settings.database_url.removeprefix("sqlite:///")
    raw = b""
    for name in (path, path + "-wal"):
        try:
            with open(name, "rb") as f:
                raw += f.read()
        except FileNotFoundError:
            pass
    assert raw
    for secret in (SECRET, "Naboen Søren Østergaard", "Skærmbillede fra Facebook"):
        assert secret.encode("utf-8") not in raw
    assert b"PNG-SECRET" not in raw


def test_a_changed_bilag_stops_the_zip_instead_of_sending_it(victim_client):
    """The hash recorded at upload is checked before the ZIP is sent: a bilag whose bytes
    changed stops the export with a page that says so (no partial download)."""
    from app.diary import evidence as files
    from app.diary.models import EvidenceChunk

    c = victim_client
    entry_id = add(c)
    assert upload(c, PNG, "x.png", entry=str(entry_id)).status_code == 303
    with db.write_session(engine_of(c)) as s:
        chunk = s.exec(select(EvidenceChunk)).one()
        chunk.data = files.base64.b64encode(PNG.replace(b"SECRET", b"CHANGE")).decode()
        s.add(chunk)
    r = c.get("/diary/export.zip")
    assert r.status_code == 409 and "Eksporten er stoppet" in r.text
    assert r.headers["content-type"].startswith("text/html")


# ---------------------------------------------------------------- sharing (point 6)


@pytest.fixture
def meeting(client, make_client):
    """Anna (granted) on ``client``, Maja (the victim) on her own phone."""
    from app.auth.models import Role
    from app.plans.models import Plan
    from tests.factories import make_org, make_user

    anna = make_user(client, Role.caseworker, "Anna", org=make_org(client, "Esbjerg Lokalpoliti"))
    victim = make_victim(client, "Maja", anna)
    with db.read_session(engine_of(client)) as s:
        plan_id = s.exec(select(Plan.id).where(Plan.victim_id == victim.id)).one()
    signed_in(client, anna)
    phone = make_client()
    signed_in(phone, victim)
    return client, phone, f"/plans/{plan_id}/diary"


def test_a_caseworker_sees_nothing_until_she_shares(meeting):
    anna, phone, url = meeting
    add(phone, SECRET)
    assert anna.get(url).status_code == 404
    anna.get("/people")
    assert post(anna, url, what="x", when=when()).status_code == 404
    assert len(rows(phone)) == 1
    assert anna.get("/diary").status_code == 404


def test_shared_entries_are_read_with_an_audit_row_she_sees(meeting):
    anna, phone, url = meeting
    first = add(phone, "delt notat")
    add(phone, "privat notat")
    assert post(phone, "/diary/sharing", mode="chosen", entry=str(first)).status_code == 303
    page = anna.get(url)
    assert page.status_code == 200
    assert "delt notat" in page.text and "privat notat" not in page.text
    assert "Anna, Esbjerg Lokalpoliti læste din log." in phone.get("/plan/activity").text
    assert post(phone, "/diary/sharing", mode="all").status_code == 303
    assert "privat notat" in anna.get(url).text
    assert anna.get(f"/diary/{first}").status_code == 404  # her own pages stay hers
    assert post(phone, "/diary/sharing", mode="none").status_code == 303
    assert anna.get(url).status_code == 404


def test_a_caseworker_writes_for_her_and_is_named(meeting):
    anna, phone, url = meeting
    post(phone, "/diary/sharing", mode="chosen")
    anna.get(url)
    r = post(anna, url, what="Skrevet på mødet", when=when(30))
    assert r.status_code == 303
    assert "Skrevet på mødet" in anna.get(url).text  # hers to see: it is shared
    log = phone.get("/diary").text
    assert "Skrevet på mødet" in log and "Skrevet af Anna, Esbjerg Lokalpoliti" in log
    assert "Anna, Esbjerg Lokalpoliti skrev i din log." in phone.get("/plan/activity").text


def test_a_body_far_over_the_limit_gets_the_danish_413_page(victim_client):
    c = victim_client
    r = upload(c, b"\xff\xd8\xff" + b"\x00" * (11 * 1024 * 1024))
    assert r.status_code == 413
    with db.read_session(engine_of(c)) as s:
        assert s.exec(select(Evidence)).all() == []
    # Every other path keeps the small limit.
    big = post(c, "/diary", what="x" * 70_000, when=when())
    assert big.status_code == 413


def test_csv_cells_never_run_as_formulas_in_excel(victim_client):
    c = victim_client
    add(c, '=HYPERLINK("http://x","klik")', witnesses="@naboen")
    table = list(
        csv.reader(
            io.StringIO(c.get("/diary/export.csv").content.decode("utf-8-sig")), delimiter=";"
        )
    )
    assert table[1][4] == '\'=HYPERLINK("http://x","klik")' and table[1][6] == "'@naboen"


def test_an_entry_typed_when_the_session_ended_is_kept_and_offered_back(client, settings):
    import re as regex

    from app.auth.models import AuthSession
    from tests.factories import login

    victim = make_victim(client, "Maja")
    auth = signed_in(client, victim)
    client.get("/diary")
    with db.write_session(engine_of(client)) as s:
        for row in s.exec(select(AuthSession)).all():
            row.last_seen_at -= timedelta(seconds=settings.idle_timeout_victim_s + 1)
            s.add(row)
    typed = when(3)
    r = post(client, "/diary", what=SECRET, when=typed)
    assert r.status_code == 303 and r.headers["location"] == "/login"
    assert rows(client) == []
    assert login(client, auth).status_code == 200
    page = client.get("/diary").text
    assert SECRET in page and "Brug teksten" in page
    draft_id = int(regex.search(r"/drafts/(\d+)/use", page).group(1))
    used = post(client, f"/drafts/{draft_id}/use")
    assert 'action="/diary"' in used.text and f'value="{typed}"' in used.text
    assert post(client, "/diary", what=SECRET, when=typed).status_code == 303
    assert [e.what for e in rows(client)] == [SECRET]
