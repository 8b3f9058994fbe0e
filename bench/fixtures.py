"""The bench's fixed data, made in its own process with the bench's environment.

Run as `python -m bench.fixtures` after `manage.py migrate`. It creates the web-form key the
capture requests send, a CSR user with an API token for the interactions endpoint, and a manager
(`bench-manager`) for the scoreboard: an API token for the report APIs and a signed-in session for
the page, made the way Django's login makes one (the same session row and cookie a browser gets
after signing in). It prints them as one JSON line (the last line of its output) for
bench/__main__.py to read. The contacts and leads the merge and interaction cases need are made
afterwards by posting real captures to the server, so they go through the same code as any web
form.
"""

import json
import os
import secrets


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import django

    django.setup()

    from django.conf import settings
    from django.test import Client
    from rest_framework.authtoken.models import Token

    from crm.services import create_staff_user
    from leads.capture import create_form_key

    _form_key, raw_key = create_form_key(name="bench")
    user = create_staff_user(username="bench-csr", role="csr")
    token, _ = Token.objects.get_or_create(user=user)
    manager = create_staff_user(username="bench-manager", role="manager", password=secrets.token_urlsafe(24))
    manager_token, _ = Token.objects.get_or_create(user=manager)
    browser = Client()
    browser.force_login(manager)  # django.contrib.auth.login on a new session, saved to the session store
    session = browser.cookies[settings.SESSION_COOKIE_NAME].value
    print(
        json.dumps(
            {
                "form_key": raw_key,
                "token": token.key,
                "manager_token": manager_token.key,
                "manager_cookie": f"{settings.SESSION_COOKIE_NAME}={session}",
            }
        )
    )


if __name__ == "__main__":
    main()
