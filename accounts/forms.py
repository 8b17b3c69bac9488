from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import (
    AuthenticationForm,
    SetPasswordForm,
    UserChangeForm,
    UsernameField,
)
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.urls import reverse

from accounts.models import User
from accounts.permissions import (
    may_change_access,
    may_change_roles,
    may_grant,
    may_issue_password_link,
    may_set_password,
    may_switch_on_or_off,
)
from accounts.roles import Role
from accounts.services import user_set_password

# Why a change of access is refused, by field: on the person's own account, and on anyone else's.
OWN_ACCOUNT_REFUSALS = {
    "groups": "You cannot change your own roles.",
    "is_active": "You cannot switch your own account off or on.",
    "is_staff": "You cannot change your own staff status.",
    "is_superuser": "You cannot change your own superuser status.",
    "user_permissions": "You cannot change your own permissions.",
}
SUPERUSER_ONLY_REFUSALS = {
    "is_staff": "Only a superuser can grant or remove staff status.",
    "is_superuser": "Only a superuser can grant or remove superuser status.",
    "user_permissions": "Only a superuser can grant or remove a person's own permissions.",
}
ROLE_REFUSAL = "Only a superuser can grant or remove the {role} role."
ACCOUNT_REFUSAL = "Only a superuser can change this person's access."


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


class ForceContactRuleMixin:
    """A force contact must be tied to a force. Groups are saved after the account, so the model's own clean()
    cannot see a role being given in the same form: the form checks the pair."""

    def clean(self):
        cleaned = super().clean()
        groups = cleaned.get("groups")
        is_force_contact = groups is not None and groups.filter(name=Role.FORCE_CONTACT).exists()
        if is_force_contact and not cleaned.get("force"):
            self.add_error("force", "A force contact must be tied to a force.")
        return cleaned


class RoleAwareUserChangeForm(ForceContactRuleMixin, UserChangeForm):
    class Meta(UserChangeForm.Meta):
        model = User
        fields = "__all__"


class AccessRulesMixin:
    """Refuses, field by field and with a message saying why, each change of access that the signed-in person
    (`actor`) may not make; the rules are in accounts.permissions. The user administration sets `actor` on
    the form class it builds for each request (accounts.admin.UserAdmin.get_form)."""

    actor: User | None = None

    def clean(self):
        cleaned = super().clean()
        if self.actor is None:
            raise ImproperlyConfigured(f"{type(self).__name__} needs the signed-in person as `actor`.")
        actor, person = self.actor, self.instance
        own = person.pk is not None and person.pk == actor.pk
        changed = set(self.changed_data)
        if "groups" in changed and cleaned.get("groups") is not None:
            self._check_roles(set(cleaned["groups"]), own=own)
        for name in ("is_staff", "is_superuser", "user_permissions"):
            if name in changed and not may_change_access(actor, person):
                self.add_error(name, OWN_ACCOUNT_REFUSALS[name] if own else SUPERUSER_ONLY_REFUSALS[name])
        if "is_active" in changed and not may_switch_on_or_off(actor, person):
            self.add_error("is_active", OWN_ACCOUNT_REFUSALS["is_active"] if own else ACCOUNT_REFUSAL)
        return cleaned

    def _check_roles(self, groups: set, *, own: bool) -> None:
        actor, person = self.actor, self.instance
        if not may_change_roles(actor, person):
            self.add_error("groups", OWN_ACCOUNT_REFUSALS["groups"] if own else ACCOUNT_REFUSAL)
            return
        held = set(person.groups.all()) if person.pk is not None else set()
        for group in sorted(held ^ groups, key=lambda group: group.name):
            if not may_grant(actor, group):
                self.add_error("groups", ROLE_REFUSAL.format(role=group.name))


class PasswordSummaryWidget(forms.Widget):
    """The password as someone who may not type one for this person sees it: whether there is one (nothing of
    its hash), and the way to what they may do instead, if anything. Its template is in the app's own
    templates folder, where Django's form renderer looks for widget templates."""

    template_name = "accounts/widgets/password_summary.html"
    read_only = True

    def __init__(self, *, action_url: str = "", button_label: str = "", attrs=None):
        super().__init__(attrs)
        self.action_url = action_url
        self.button_label = button_label

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["usable_password"] = bool(value) and not value.startswith(UNUSABLE_PASSWORD_PREFIX)
        context["action_url"] = self.action_url
        context["button_label"] = self.button_label
        return context

    def id_for_label(self, id_):
        return None


class AccountChangeForm(AccessRulesMixin, RoleAwareUserChangeForm):
    """A person's account in the user administration, checked against what the signed-in person may change."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        password = self.fields.get("password")
        if password is None or self.actor is None or may_set_password(self.actor, self.instance):
            return
        if self.instance.pk == self.actor.pk:
            password.widget = PasswordSummaryWidget(
                action_url=reverse("admin:password_change"), button_label="Change your password"
            )
            password.help_text = "You change your own password knowing the current one."
        elif may_issue_password_link(self.actor, self.instance):
            password.widget = PasswordSummaryWidget(
                action_url="../set-password-link/", button_label="Issue a set-password link"
            )
            password.help_text = "Nobody types a password for someone else: they choose their own with a one-time link."
        else:
            password.widget = PasswordSummaryWidget()
            password.help_text = ""


class AccountAddForm(AccessRulesMixin, ForceContactRuleMixin, forms.ModelForm):
    """A new person's account. It has no password: the person chooses their own through a set-password link,
    issued from their account's page once it is saved."""

    class Meta:
        model = User
        fields = ["username", "first_name", "last_name", "email", "groups", "force"]
        field_classes = {"username": UsernameField}

    def clean_username(self):
        # As Django's own user creation form: usernames differing only in case are refused as the same.
        username = self.cleaned_data.get("username")
        if username and User.objects.filter(username__iexact=username).exists():
            raise ValidationError(self.instance.unique_error_message(User, ["username"]))
        return username

    def save(self, commit=True):
        user = super().save(commit=False)
        user.set_unusable_password()
        if commit:
            user.save()
            self.save_m2m()
        return user


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
