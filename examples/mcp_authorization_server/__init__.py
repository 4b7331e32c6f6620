"""An MCP server protected by a Flask authorization server built with flask-oauthlib.

- :mod:`.authorization_server`: the authorization server (``OAuth2Provider`` with
  ``bind_sqlalchemy`` on Flask-SQLAlchemy): metadata, dynamic client registration,
  a login and a consent page, the token endpoint with resource indicators, introspection;
- :mod:`.mcp_server`: an MCP server (the official MCP Python SDK) with one tool, whose
  token verifier asks the authorization server about each token (introspection);
- :mod:`.mcp_client`: an MCP client (the SDK's ``OAuthClientProvider``) that discovers,
  registers, signs in through the browser and calls the tool;
- :mod:`.run`: starts the two servers on 127.0.0.1 and runs the client once.

See README.md in this folder.
"""
