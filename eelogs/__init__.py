"""eelogs: read EmailEngine's pino logs and say which mail accounts fail, why, and what to do."""

import os

__version__ = "0.1.0"

# polars' allocator (jemalloc) keeps freed pages for ten seconds by default: streaming blocks
# through it, that is tens of megabytes of memory nobody uses. A background thread hands
# them back after a tenth of a second. It is read once, when polars loads, so it is set here,
# before any module imports polars; a setting of the user's own wins.
os.environ.setdefault(
    "_RJEM_MALLOC_CONF", "background_thread:true,dirty_decay_ms:100,muzzy_decay_ms:0"
)
