"""Where a request comes from, for sign-in lockouts and access records."""

from ipaddress import ip_address

from django.conf import settings


def client_ip(request) -> str | None:
    """The address of the computer that sent `request`, or None when it cannot be told.

    Behind `TRUSTED_PROXY_COUNT` proxies, each proxy appends the address it received the request from to
    X-Forwarded-For, so the client's is that many entries from the right; anything further left was written
    by the client and is not to be believed. With no proxy, the connecting address is the client's.
    """
    candidate = request.META.get("REMOTE_ADDR")
    proxies = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    if proxies > 0:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        candidate = forwarded[-proxies] if len(forwarded) >= proxies else None
    try:
        return str(ip_address(candidate)) if candidate else None
    except ValueError:
        return None
