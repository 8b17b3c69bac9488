"""Middleware of the whole site."""

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
