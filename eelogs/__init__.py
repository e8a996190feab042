"""eelogs: read EmailEngine's pino logs and say which mail accounts fail, why, and what to do."""

import os

__version__ = "0.1.0"

# polars' allocator (jemalloc) keeps freed pages for ten seconds by default: streaming blocks
# through it, that is tens of megabytes of memory nobody uses. A background thread hands
# them back after half a second; one arena for all threads lets each reuse what another
# freed, so fewer pages are handed back and faulted in again (half the kernel time of a
# tenth of a second, for 5 MB). It is read once, when polars loads, so it is set here,
# before any module imports polars; a setting of the user's own wins.
os.environ.setdefault(
    "_RJEM_MALLOC_CONF", "background_thread:true,dirty_decay_ms:500,muzzy_decay_ms:0,narenas:1"
)
