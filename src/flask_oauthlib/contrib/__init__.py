"""``flask_oauthlib.contrib``: bindings and ready-made remote apps."""
