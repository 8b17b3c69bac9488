"""Sign-ins, sign-outs and lockouts become access records."""

from axes.signals import user_locked_out
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import receiver

from accounts.models import AccessAction
from accounts.services import access_record


@receiver(user_logged_in, dispatch_uid="access_record_signed_in")
def record_sign_in(sender, request, user, **kwargs):
    access_record(user=user, action=AccessAction.SIGNED_IN, request=request)


@receiver(user_logged_out, dispatch_uid="access_record_signed_out")
def record_sign_out(sender, request, user, **kwargs):
    # Signing out of a session that had already ended has no one to record.
    if user is not None:
        access_record(user=user, action=AccessAction.SIGNED_OUT, request=request)


@receiver(user_locked_out, dispatch_uid="access_record_locked_out")
def record_lockout(sender, request, username, ip_address=None, **kwargs):
    username = username or ""
    user = get_user_model().objects.filter(username=username).first() if username else None
    access_record(user=user, username=username, action=AccessAction.LOCKED_OUT, request=request)
