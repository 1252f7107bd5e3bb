"""What the caseload (/people, app/sharing/enrolment.py) shows per case besides names, from
layers above this one: the handleplan registers what falls due. Each part gets the caseload's
plan ids and returns extra context, in a constant number of queries whatever the number of
cases."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlmodel import Session

CASELOAD: list[Callable[[Session, list[int]], dict[str, Any]]] = []


def extras(session: Session, plan_ids: list[int]) -> dict[str, Any]:
    found: dict[str, Any] = {"due": {}, "due_all": [], "due_labels": {}}
    for part in CASELOAD:
        found |= part(session, plan_ids)
    return found
