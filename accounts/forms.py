from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm, SetPasswordForm

from accounts.models import User
from accounts.services import user_set_password


class SignInForm(AuthenticationForm):
    """Django's sign-in form, with messages in the GOV.UK style of plain instructions."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "Enter a correct username and password. Both are case-sensitive.",
        "inactive": "This account is switched off. Ask a data steward to switch it back on.",
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].error_messages["required"] = "Enter your username"
        self.fields["password"].error_messages["required"] = "Enter your password"


class ChoosePasswordForm(SetPasswordForm):
    """The form a set-password link opens: the person chooses their password, kept in their history as set by
    them (or by whoever was signed in when the link was used)."""

    def __init__(self, user, *args, by: User | None = None, **kwargs):
        super().__init__(user, *args, **kwargs)
        self.by = by or user
        # Plain words rather than Django's HTML list: the GOV.UK hint is text.
        self.fields["new_password1"].help_text = " ".join(password_validation.password_validators_help_texts())
        self.fields["new_password2"].label = "Confirm your new password"
        self.fields["new_password2"].help_text = ""

    def save(self, commit=True):
        return user_set_password(user=self.user, password=self.cleaned_data["new_password1"], by=self.by)
