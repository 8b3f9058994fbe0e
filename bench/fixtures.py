"""The bench's fixed data, made in its own process with the bench's environment.

Run as `python -m bench.fixtures` after `manage.py migrate`. It creates the web-form key the
capture requests send and a CSR user with an API token for the interactions endpoint, and prints
them as one JSON line (the last line of its output) for bench/__main__.py to read. The contacts and
leads the merge and interaction cases need are made afterwards by posting real captures to the
server, so they go through the same code as any web form.
"""

import json
import os


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import django

    django.setup()

    from rest_framework.authtoken.models import Token

    from crm.services import create_staff_user
    from leads.capture import create_form_key

    _form_key, raw_key = create_form_key(name="bench")
    user = create_staff_user(username="bench-csr", role="csr")
    token, _ = Token.objects.get_or_create(user=user)
    print(json.dumps({"form_key": raw_key, "token": token.key}))


if __name__ == "__main__":
    main()
