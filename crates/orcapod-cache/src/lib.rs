//! Content-addressed result stores and caches for orcapod.
