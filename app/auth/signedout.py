"""Why this browser was signed out (issue 14 point 6): the sentence the next page shows.

A cookie whose session has stopped counting is kept by the browser; :class:`SessionAuth` puts
the :class:`~app.auth.sessions.Ended` it names into ``request.state.ended``. The sign-in page and
the front page say plainly why ("Du blev logget ud, fordi …") next to the sign-in button. A
disabled account is told nothing.
"""

from __future__ import annotations

from starlette.requests import Request

from app.auth.sessions import Ended
from app.i18n import _, ngettext


def ended(request: Request) -> Ended | None:
    return request.scope.get("state", {}).get("ended")


def why(request: Request) -> str | None:
    """The plain sentence for a session that ended, or None."""
    gone = ended(request)
    if gone is None:
        return None
    if gone.reason == "idle":
        return ngettext(
            "You were signed out because you had not used the page for %(num)s minute.",
            "You were signed out because you had not used the page for %(num)s minutes.",
            gone.idle_minutes,
        ) % {"num": gone.idle_minutes}
    if gone.reason == "lifetime":
        return ngettext(
            "You were signed out because you had been signed in for %(num)s hour, "
            "the longest a sign-in lasts.",
            "You were signed out because you had been signed in for %(num)s hours, "
            "the longest a sign-in lasts.",
            gone.lifetime_hours,
        ) % {"num": gone.lifetime_hours}
    if gone.reason == "ended":
        return _("You were signed out because this sign-in was ended on another device.")
    return None
