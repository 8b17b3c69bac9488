"""Middleware of the whole site."""

from django.contrib.sessions.middleware import SessionMiddleware as DjangoSessionMiddleware
from django.utils.cache import patch_cache_control


class PrivateResponsesMiddleware:
    """Every response to a signed-in person (pages, CSV and XLSX downloads, data administration) is marked
    `Cache-Control: no-store, private`: it shows crime records, reviews or accounts, which must not stay in a
    browser's cache, a shared computer's disk or a proxy after the person has signed out.

    Anonymous responses (the sign-in page) keep their own headers, and static files never get here: WhiteNoise,
    earlier in the chain, answers them with its own long cache lifetime.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            patch_cache_control(response, no_store=True, private=True)
        return response


class SessionMiddleware(DjangoSessionMiddleware):
    """Django's sessions, except that a view marked `refreshes_session = False` (a page that polls itself, such as
    an import job's progress) does not save the session: a page left open does not keep its session alive forever,
    and on the embedded database a poll never waits behind a running import for the write lock."""

    def process_response(self, request, response):
        match = getattr(request, "resolver_match", None)
        view = getattr(match.func, "view_class", match.func) if match is not None else None
        if getattr(view, "refreshes_session", True) or request.session.modified:
            return super().process_response(request, response)
        return response
