"""Live co-editing services (docs/design.md §4): a broker that carries ids and versions only
(in-process, or PostgreSQL LISTEN/NOTIFY across instances), presence, and the per-session stream
limit. The stream itself is a plan route (app/plans/stream.py): this package sits below plans."""
