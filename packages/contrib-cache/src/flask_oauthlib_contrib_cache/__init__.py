"""Cache bindings for the flask-oauthlib providers: OAuth 2 grants and OAuth 1 nonces
in Redis, memcached, files or memory, shared by every worker and never unpickled, an
optional cache of ``require_oauth``'s token lookups, and 0.9.6's ``Cache`` with
werkzeug's methods on JSON values."""

from __future__ import annotations

from .backends import (
    FileSystemBackend,
    MemcacheBackend,
    NullBackend,
    RedisBackend,
    SimpleBackend,
)
from .cache import CONFIG_KEYS, Cache
from .grants import CachedGrant, Grant, OnReplay, UserRef, bind_cache_grant, code_hash
from .nonces import bind_cache_nonce
from .pushed_requests import CachePushedRequestStore, bind_cache_pushed_requests
from .replay import CacheReplayStore, bind_cache_replay
from .token_cache import CachedToken, CacheTokenCache, bind_cache_token_cache, token_cache_key
from .users import UserSnapshot, UserStore

__all__ = [
    "CONFIG_KEYS",
    "Cache",
    "CachePushedRequestStore",
    "CacheReplayStore",
    "CacheTokenCache",
    "CachedGrant",
    "CachedToken",
    "FileSystemBackend",
    "Grant",
    "MemcacheBackend",
    "NullBackend",
    "OnReplay",
    "RedisBackend",
    "SimpleBackend",
    "UserRef",
    "UserSnapshot",
    "UserStore",
    "bind_cache_grant",
    "bind_cache_nonce",
    "bind_cache_pushed_requests",
    "bind_cache_replay",
    "bind_cache_token_cache",
    "code_hash",
    "token_cache_key",
]
