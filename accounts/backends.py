from axes.backends import AxesStandaloneBackend


class SignInLockoutBackend(AxesStandaloneBackend):
    """Refuses a sign-in from a username and address pair that has failed too often (django-axes).

    Lockouts are about sign-in forms. Authentication without a request (a management command, the test
    client's `login()`) has no address to lock, so it is passed on to the next backend rather than refused.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
