"""The OpenAPI 3 document of the JSON API, built from the same input models that check requests."""

from __future__ import annotations

from functools import cache
from typing import Any

from starlette.requests import Request
from starlette.routing import Route

from .common import api_json
from ..inputs import (MAX_BODY, MAX_CORRECTION, PollIn, SourceIn, StoryIn, StoryPatch, SubmissionIn, SyndicationTokenIn,
                      UpdateIn, UpdatePatch)
from .api import MAX_LIMIT

_TIME = {"type": "string", "format": "date-time"}
_NULLABLE_TIME = {"type": "string", "format": "date-time", "nullable": True}

SHAPES: dict[str, Any] = {
    "Poll": {
        "type": "object",
        "description": "A poll and its counts as they are now; `closed` once they are final",
        "required": ["id", "update", "story", "question", "choices", "total", "closed", "closes_at", "url",
                     "votes_url"],
        "properties": {
            "id": {"type": "integer"},
            "update": {"type": "integer", "description": "The update the poll is shown as"},
            "story": {"type": "string"},
            "question": {"type": "string"},
            "choices": {"type": "array", "items": {"type": "object", "required": ["id", "label", "votes"],
                        "properties": {"id": {"type": "integer"}, "label": {"type": "string"},
                                       "votes": {"type": "integer", "minimum": 0}}}},
            "total": {"type": "integer", "minimum": 0},
            "closed": {"type": "boolean"},
            "closes_at": _TIME,
            "url": {"type": "string", "format": "uri"},
            "votes_url": {"type": "string", "format": "uri"},
            "voted": {"type": "integer", "description": "In a vote's answer: the choice voted for"},
            "html": {"type": "string", "description": "In a vote's answer: the results as the page shows them"},
        },
    },
    "Story": {
        "type": "object",
        "required": ["slug", "title", "summary", "status", "created_at", "closed_at", "url"],
        "properties": {
            "slug": {"type": "string"},
            "title": {"type": "string"},
            "summary": {"type": "string"},
            "status": {"type": "string", "enum": ["live", "closed"]},
            "created_at": _TIME,
            "closed_at": _NULLABLE_TIME,
            "language": {"type": "string"},
            "url": {"type": "string", "format": "uri"},
            "updated_at": {**_TIME, "description": "In the list only: its close, else its newest update, else its start"},
        },
    },
    "Update": {
        "type": "object",
        "required": ["id", "story", "body", "body_html", "headline", "author", "created_at", "edited_at",
                     "key_event", "pinned"],
        "properties": {
            "id": {"type": "integer"},
            "story": {"type": "string"},
            "body": {"type": "string", "maxLength": MAX_BODY},
            "body_html": {"type": "string"},
            "headline": {"type": "string"},
            "author": {"type": "string"},
            "created_at": _TIME,
            "edited_at": _NULLABLE_TIME,
            "key_event": {"type": "boolean"},
            "pinned": {"type": "boolean"},
            "edited_by": {"type": "string", "description": "The byline of whoever changed the text last"},
            "correction": {"type": "string", "maxLength": MAX_CORRECTION,
                           "description": "The newest correction note readers are shown"},
            "corrected_at": _NULLABLE_TIME,
            "reader": {"type": "object", "nullable": True,
                       "description": "A reader's words the update quotes: a question it answers (kind "
                                      "question) or an answer to a callout (kind callout); their name only "
                                      "if they agreed to it being published",
                       "properties": {"kind": {"type": "string", "enum": ["question", "callout"]},
                                      "text": {"type": "string"}, "name": {"type": "string"}}},
        },
    },
    "Revision": {
        "type": "object",
        "description": "One change of an update's text: the text it replaced, who made it, when, and its note",
        "required": ["number", "body", "headline", "editor", "created_at", "correction"],
        "properties": {
            "number": {"type": "integer", "minimum": 1},
            "body": {"type": "string"},
            "headline": {"type": "string"},
            "editor": {"type": "string"},
            "created_at": _TIME,
            "correction": {"type": "string"},
        },
    },
    "QueuedUpdate": {
        "allOf": [
            {"$ref": "#/components/schemas/Update"},
            {"type": "object", "required": ["status", "publish_at"], "properties": {
                "status": {"type": "string", "enum": ["draft", "scheduled", "rejected", "published"]},
                "publish_at": _NULLABLE_TIME}},
        ],
    },
    "Image": {
        "type": "object",
        "required": ["name", "url", "width", "height", "srcset", "markdown", "html"],
        "properties": {
            "name": {"type": "string"}, "url": {"type": "string"}, "width": {"type": "integer"},
            "height": {"type": "integer"}, "srcset": {"type": "string"}, "sizes": {"type": "string"},
            "markdown": {"type": "string"}, "html": {"type": "string"},
        },
    },
    "OEmbed": {
        "type": "object",
        "required": ["version", "type", "html", "width", "height"],
        "properties": {
            "version": {"type": "string", "enum": ["1.0"]}, "type": {"type": "string", "enum": ["rich"]},
            "title": {"type": "string"}, "html": {"type": "string"},
            "width": {"type": "integer"}, "height": {"type": "integer"},
        },
    },
    "Subscription": {
        "type": "object",
        "required": ["endpoint", "keys"],
        "properties": {
            "endpoint": {"type": "string", "maxLength": 1000},
            "expirationTime": {"type": "number", "nullable": True},
            "keys": {"type": "object", "required": ["p256dh", "auth"], "properties": {
                "p256dh": {"type": "string", "maxLength": 100}, "auth": {"type": "string", "maxLength": 40}}},
        },
    },
    "Errors": {
        "type": "object",
        "required": ["errors"],
        "properties": {"errors": {"type": "object", "additionalProperties": {"type": "string"}}},
    },
}


def _input_schema(model) -> dict[str, Any]:
    """Pydantic's JSON schema, in the OpenAPI 3.0 dialect (nullable instead of anyOf null)."""
    schema = model.model_json_schema()
    for prop in schema.get("properties", {}).values():
        options = prop.pop("anyOf", None)
        if options:
            prop.update(next(o for o in options if o.get("type") != "null"))
            prop["nullable"] = True
        prop.pop("title", None)
        prop.pop("default", None)
    schema.pop("title", None)
    schema["additionalProperties"] = False
    return schema


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*codes: int) -> dict:
    text = {400: "Malformed request", 401: "No or bad token", 403: "Not an editor's token",
            404: "Unknown story, update or poll", 409: "The poll has closed, or this browser has voted in it",
            413: "Request too large", 415: "Not sent as JSON",
            422: "Bad input, by field", 429: "Too many at once, or too many from this address",
            501: "A format other than json (the oEmbed answer for it)"}
    return {str(code): _json(_ref("Errors"), text[code]) for code in codes}


def _body(name: str) -> dict:
    return {"required": True, "content": {"application/json": {"schema": _ref(name)}}}


def _queue_list(operation_id: str, what: str) -> dict:
    return {
        "operationId": operation_id,
        "security": _SECURED,
        "responses": {"200": _json({"type": "object", "required": ["updates"], "properties": {
            "updates": {"type": "array", "items": _ref("QueuedUpdate")}}}, what), **_errors(401, 404)},
    }


def _queue_change(operation_id: str, answer: str, what: str) -> dict:
    return {
        "parameters": [_SLUG, _UPDATE_ID],
        "post": {
            "operationId": operation_id,
            "security": _SECURED,
            "responses": {"200": _json(_ref(answer), what), **_errors(401, 403, 404)},
        },
    }


_DIMENSION = {"type": "integer", "minimum": 50, "maximum": 10_000}


_SLUG = {"name": "slug", "in": "path", "required": True, "schema": {"type": "string"}}
_UPDATE_ID = {"name": "update_id", "in": "path", "required": True, "schema": {"type": "integer"}}
_POLL_ID = {"name": "poll_id", "in": "path", "required": True, "schema": {"type": "integer"}}
_CALLOUT_ID = {"name": "callout_id", "in": "path", "required": True, "schema": {"type": "integer"}}
_SECURED = [{"bearer": []}]


@cache
def document() -> dict[str, Any]:
    return {
        "openapi": "3.0.3",
        "info": {"title": "Liveblog API", "version": "1"},
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                **SHAPES,
                "StoryIn": _input_schema(StoryIn),
                "StoryPatch": _input_schema(StoryPatch),
                "UpdateIn": _input_schema(UpdateIn),
                "UpdatePatch": _input_schema(UpdatePatch),
                "PollIn": _input_schema(PollIn),
                "SubmissionIn": _input_schema(SubmissionIn),
                "SourceIn": _input_schema(SourceIn),
                "SyndicationTokenIn": _input_schema(SyndicationTokenIn),
                "Source": {"type": "object", "required": ["id", "url", "approval", "last_event_id"], "properties": {
                    "id": {"type": "integer"}, "url": {"type": "string"}, "approval": {"type": "boolean"},
                    "last_event_id": {"type": "integer"}}},
                "Vote": {"type": "object", "required": ["choice"], "properties": {
                    "choice": {"type": "integer", "description": "The id of one of the poll's choices"}}},
            },
        },
        "paths": {
            "/api/stories": {
                "get": {
                    "operationId": "listStories",
                    "responses": {"200": _json({"type": "object", "required": ["stories"], "properties": {
                        "stories": {"type": "array", "items": _ref("Story")}}}, "Live stories first, newest first; "
                        "an ETag, and 304 to a matching If-None-Match")},
                },
                "post": {
                    "operationId": "createStory",
                    "security": _SECURED,
                    "requestBody": _body("StoryIn"),
                    "responses": {"201": _json(_ref("Story"), "The new story"), **_errors(400, 401, 413, 422)},
                },
            },
            "/api/stories/{slug}": {
                "parameters": [_SLUG],
                "get": {
                    "operationId": "getStory",
                    "responses": {"200": _json(_ref("Story"), "The story"), **_errors(404)},
                },
                "patch": {
                    "operationId": "updateStory",
                    "security": _SECURED,
                    "requestBody": _body("StoryPatch"),
                    "responses": {"200": _json(_ref("Story"), "The story"), **_errors(400, 401, 404, 413, 422)},
                },
            },
            "/api/stories/{slug}/updates": {
                "parameters": [_SLUG],
                "get": {
                    "operationId": "listUpdates",
                    "parameters": [
                        {"name": "before", "in": "query", "schema": {"type": "integer", "minimum": 1}},
                        {"name": "limit", "in": "query",
                         "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": 50}},
                    ],
                    "responses": {
                        "200": _json({"type": "object", "required": ["updates", "next"], "properties": {
                            "updates": {"type": "array", "items": _ref("Update")},
                            "next": {"type": "string", "format": "uri", "nullable": True}}}, "Newest first"),
                        **_errors(404, 422),
                    },
                },
                "post": {
                    "operationId": "createUpdate",
                    "security": _SECURED,
                    "requestBody": _body("UpdateIn"),
                    "responses": {"201": _json(_ref("Update"), "The new update"), **_errors(400, 401, 404, 413, 422)},
                },
            },
            "/api/stories/{slug}/updates/{update_id}": {
                "parameters": [_SLUG, _UPDATE_ID],
                "get": {
                    "operationId": "getUpdate",
                    "responses": {"200": _json(_ref("Update"), "A published update"), **_errors(404, 422)},
                },
                "patch": {
                    "operationId": "editUpdate",
                    "security": _SECURED,
                    "requestBody": _body("UpdatePatch"),
                    "responses": {"200": _json(_ref("Update"), "The update"), **_errors(400, 401, 404, 413, 422)},
                },
                "delete": {
                    "operationId": "deleteUpdate",
                    "security": _SECURED,
                    "responses": {"204": {"description": "Deleted"}, **_errors(401, 404, 422)},
                },
            },
            "/api/stories/{slug}/updates/{update_id}/revisions": {
                "parameters": [_SLUG, _UPDATE_ID],
                "get": {
                    "operationId": "listRevisions",
                    "responses": {
                        "200": _json({"type": "object", "required": ["update", "revisions"], "properties": {
                            "update": _ref("Update"),
                            "revisions": {"type": "array", "items": _ref("Revision")}}},
                            "The update as it is now, and each change of its text, oldest first"),
                        **_errors(404),
                    },
                },
            },
            "/api/stories/{slug}/drafts": {"parameters": [_SLUG], "get": _queue_list(
                "listDrafts", "Drafts awaiting an editor, oldest first")},
            "/api/stories/{slug}/scheduled": {"parameters": [_SLUG], "get": _queue_list(
                "listScheduled", "Scheduled updates, in the order they go out")},
            "/api/stories/{slug}/updates/{update_id}/publish": _queue_change(
                "publishUpdate", "Update", "Published: readers have it"),
            "/api/stories/{slug}/updates/{update_id}/reject": _queue_change(
                "rejectUpdate", "QueuedUpdate", "Turned down, kept for the record"),
            "/api/stories/{slug}/updates/{update_id}/cancel": _queue_change(
                "cancelUpdate", "QueuedUpdate", "Back among the drafts"),
            "/api/stories/{slug}/updates/{update_id}/restore": {
                "parameters": [_SLUG, _UPDATE_ID],
                "post": {
                    "operationId": "restoreUpdate",
                    "description": "Undo a delete made in the last five minutes: readers get the update again.",
                    "security": _SECURED,
                    "responses": {"200": _json(_ref("Update"), "Restored: readers have it again"),
                                  **_errors(401, 403, 404, 422)},
                },
            },
            "/api/media": {
                "post": {
                    "operationId": "uploadImage",
                    "security": _SECURED,
                    "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
                        "type": "object",
                        "required": ["file"],
                        "properties": {
                            "file": {"type": "string", "format": "binary"},
                            "alt": {"type": "string", "maxLength": 500},
                            "caption": {"type": "string", "maxLength": 500},
                            "credit": {"type": "string", "maxLength": 200},
                        },
                    }}}},
                    "responses": {"201": _json(_ref("Image"), "Stored in every width"),
                                  **_errors(401, 413, 422, 429)},
                },
            },
            "/oembed": {
                "get": {
                    "operationId": "oembed",
                    "parameters": [
                        {"name": "url", "in": "query", "required": True, "schema": {"type": "string"}},
                        {"name": "maxwidth", "in": "query", "schema": _DIMENSION},
                        {"name": "maxheight", "in": "query", "schema": _DIMENSION},
                        {"name": "format", "in": "query", "schema": {"type": "string", "enum": ["json"]}},
                    ],
                    "responses": {"200": _json(_ref("OEmbed"), "The embed"), **_errors(404, 422, 501)},
                },
            },
            "/api/stories/{slug}/syndication-tokens": {
                "parameters": [_SLUG],
                "post": {
                    "operationId": "issueSyndicationToken",
                    "description": "A token another instance follows this story's stream with (shown once).",
                    "security": _SECURED,
                    "requestBody": _body("SyndicationTokenIn"),
                    "responses": {"201": _json({"type": "object", "required": ["token", "story", "stream"], "properties": {
                        "token": {"type": "string"}, "story": {"type": "string"}, "stream": {"type": "string"}}},
                        "The token"), **_errors(400, 401, 403, 404, 413, 422)},
                },
            },
            "/api/stories/{slug}/sources": {
                "parameters": [_SLUG],
                "post": {
                    "operationId": "followSource",
                    "description": "Follow another instance's story: its updates, edits and deletes appear in this one.",
                    "security": _SECURED,
                    "requestBody": _body("SourceIn"),
                    "responses": {"201": _json(_ref("Source"), "Followed from now on"),
                                  **_errors(400, 401, 403, 404, 413, 422)},
                },
                "get": {
                    "operationId": "listSources",
                    "security": _SECURED,
                    "responses": {"200": _json({"type": "object", "required": ["sources"], "properties": {
                        "sources": {"type": "array", "items": _ref("Source")}}}, "The stories this one follows"),
                        **_errors(401, 404)},
                },
            },
            "/api/stories/{slug}/polls": {
                "parameters": [_SLUG],
                "post": {
                    "operationId": "createPoll",
                    "security": _SECURED,
                    "requestBody": _body("PollIn"),
                    "responses": {"201": _json(_ref("Poll"), "The new poll, published as an update"),
                                  **_errors(400, 401, 403, 404, 413, 422)},
                },
            },
            "/api/stories/{slug}/polls/{poll_id}": {
                "parameters": [_SLUG, _POLL_ID],
                "get": {
                    "operationId": "getPoll",
                    "responses": {"200": _json(_ref("Poll"), "The poll and its counts"), **_errors(404)},
                },
            },
            "/api/stories/{slug}/polls/{poll_id}/close": {
                "parameters": [_SLUG, _POLL_ID],
                "post": {
                    "operationId": "closePoll",
                    "security": _SECURED,
                    "responses": {"200": _json(_ref("Poll"), "Closed: its counts are final"),
                                  **_errors(401, 403, 404, 422)},
                },
            },
            "/stories/{slug}/polls/{poll_id}/votes": {
                "parameters": [_SLUG, _POLL_ID],
                "post": {
                    "operationId": "vote",
                    "description": "A reader's vote, once per browser (a signed cookie); also an HTML form "
                                   "(application/x-www-form-urlencoded, answered with 303 to the poll's page)",
                    "requestBody": _body("Vote"),
                    "responses": {"201": _json(_ref("Poll"), "Counted: the counts as they are now"),
                                  **_errors(400, 403, 404, 409, 413, 415, 422, 429)},
                },
            },
            "/stories/{slug}/callouts/{callout_id}/answers": {
                "parameters": [_SLUG, _CALLOUT_ID],
                "post": {
                    "operationId": "answerCallout",
                    "description": "A reader's answer to a callout, or question: for the newsroom's desk only, "
                                   "never shown to readers as sent. Also an HTML form (answered with 303 to the "
                                   "callout's page); as multipart, with the photo a callout asks for",
                    "requestBody": {"required": True, "content": {
                        "application/json": {"schema": _ref("SubmissionIn")},
                        "multipart/form-data": {"schema": {
                            "type": "object", "required": ["text"],
                            "properties": {"text": {"type": "string"}, "name": {"type": "string"},
                                           "contact": {"type": "string"}, "consent": {"type": "string"},
                                           "image": {"type": "string", "format": "binary",
                                                     "description": "JPEG, PNG, GIF or WebP, at most 10 MB"}}}}}},
                    "responses": {"201": {"description": "Sent to the desk"},
                                  **_errors(400, 403, 404, 409, 413, 422, 429)},
                },
            },
            "/stories/{slug}/subscriptions": {
                "parameters": [_SLUG],
                "post": {
                    "operationId": "subscribe",
                    "requestBody": _body("Subscription"),
                    "responses": {"201": {"description": "Kept"}, **_errors(400, 404, 413, 415, 422, 429)},
                },
                "delete": {
                    "operationId": "unsubscribe",
                    "requestBody": {"required": True, "content": {"application/json": {"schema": {
                        "type": "object", "required": ["endpoint"],
                        "properties": {"endpoint": {"type": "string", "maxLength": 1000}}}}}},
                    "responses": {"204": {"description": "Gone"}, **_errors(400, 404, 413, 415, 422)},
                },
            },
        },
    }


async def openapi(request: Request):
    return api_json(document())


routes = [Route("/api/openapi.json", openapi, methods=["GET"])]
