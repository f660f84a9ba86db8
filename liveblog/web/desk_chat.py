"""The desk's own chat: a line sent from the desk reaches every desk of the story live,
through the desk's stream (`chat` frames), and never a reader: it is in the desk's log
only. Editors and contributors of the story may both talk."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..auth import DeskSession
from ..errors import Invalid
from ..events import DeskSaid, payload
from ..inputs import ChatIn, validate
from .common import blocking, newsroom, services
from .editor import Form, _refused, desk_url, done, editors_only


@editors_only
async def say(request: Request, session: DeskSession, form: Form) -> Response:
    slug = request.path_params["slug"]
    try:
        message = await newsroom(request).say_on_desk(session.editor, slug, validate(ChatIn, {"text": form.get("text", "")}))
    except Invalid as exc:
        return await _refused(request, session, "chat", form, exc)
    story = await blocking(services(request).store.get_story, slug)
    return done(request, f"{desk_url(slug)}#desk-chat", payload(DeskSaid.of(message, slug, story.language)), 201)


routes = [Route("/admin/stories/{slug}/chat", say, methods=["POST"])]
