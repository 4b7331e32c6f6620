"""The user at the browser, for the MCP tests (``tests/interop/test_mcp.py``): on the
example's authorization server, signs in as alice and allows; the browser then follows
the redirect back to the MCP client's loopback redirect URI.

Also a browser command, for the ``BROWSER`` environment variable the ``webbrowser``
module reads::

    BROWSER="python tests/mcp_user.py %s"
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import requests

from flask_oauthlib_core.testing import redirect_location

if TYPE_CHECKING:
    from mcp_authorization_server.mcp_client import MemoryStorage

__all__ = ["ALICE", "CSRF_FIELD", "Person"]

ALICE = {"username": "alice", "password": "wonderland"}
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')
TIMEOUT = 10


@dataclass
class Person:
    """Signs in as alice and allows (or denies), on every authorization URL it is sent
    to."""

    #: the answer on the consent page
    allow: bool = True
    #: every authorization URL the user was sent to
    visited: list[str] = field(default_factory=list)
    #: the text of each consent page shown
    consent_pages: list[str] = field(default_factory=list)

    def sign_in_and_allow(self, authorization_url: str) -> None:
        """Open ``authorization_url``, sign in, decide, and follow the redirect back."""
        self.visited.append(authorization_url)
        browser = requests.Session()
        page = browser.get(authorization_url, timeout=TIMEOUT)  # the login page first
        assert "/login?next=" in page.url and page.status_code == 200, page.text
        page = browser.post(page.url, data=ALICE, timeout=TIMEOUT)
        assert page.status_code == 200 and "Allow" in page.text, page.text
        self.consent_pages.append(page.text)
        csrf = CSRF_FIELD.search(page.text)
        assert csrf, page.text
        decision = {"confirm": "yes" if self.allow else "no", "csrf_token": csrf.group(1)}
        allowed = browser.post(page.url, data=decision, allow_redirects=False, timeout=TIMEOUT)
        back = browser.get(redirect_location(allowed), timeout=TIMEOUT)  # the client's callback
        assert back.status_code == 200, back.text

    async def redirect_handler(self, authorization_url: str) -> None:
        """The MCP SDK's ``redirect_handler``: the browser, in a thread of its own."""
        import anyio.to_thread

        await anyio.to_thread.run_sync(self.sign_in_and_allow, authorization_url)

    def call_whoami(self, mcp_url: str, storage: MemoryStorage | None = None) -> str:
        """Run the example's MCP client: call the tool ``whoami`` at ``mcp_url``, this
        person signing in when the SDK asks."""
        import anyio
        from mcp_authorization_server.mcp_client import call_tool

        async def call() -> str:
            return await call_tool(
                mcp_url, "whoami", redirect_handler=self.redirect_handler, storage=storage
            )

        return anyio.run(call)


if __name__ == "__main__":
    Person().sign_in_and_allow(sys.argv[1])
