from django.shortcuts import render


def csrf_failure(request, reason: str = ""):
    """A CSRF rejection in the service's own words: the form is not saved, and the user is told why."""
    return render(request, "403_csrf.html", status=403)
