"""The language switch: a plain form that sets a cookie and returns to the same page."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from app import i18n, inputs, state


async def switch(request: Request) -> Response:
    form = inputs.clean_form(await request.form())
    lang = form.get("lang")
    response = RedirectResponse(inputs.safe_next(form.get("next")), status_code=303)
    if lang in i18n.LANGUAGES:
        response.set_cookie(
            i18n.COOKIE,
            str(lang),
            max_age=365 * 24 * 3600,
            path="/",
            samesite="strict",
            httponly=True,
            secure=state.settings(request).https,
        )
    return response


routes = [Route("/language", switch, methods=["POST"], name="language")]
