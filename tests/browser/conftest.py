"""Every browser journey also checks that the pages run under the Content-Security-Policy:
a script or style the policy blocks, or an uncaught script error, fails the test."""

import pytest


@pytest.fixture(autouse=True)
def _no_blocked_or_broken_scripts(request):
    if "page" not in request.fixturenames:
        yield
        return
    page = request.getfixturevalue("page")
    problems = []
    page.on(
        "console",
        lambda message: problems.append(message.text)
        if message.type == "error" and ("Content Security Policy" in message.text or "Refused to" in message.text)
        else None,
    )
    page.on("pageerror", lambda error: problems.append(f"uncaught: {error}"))
    yield
    assert not problems, problems
