"""Live co-editing (docs/design.md §4): a server-sent-events stream per plan, a broker that carries
ids
and versions only (in-process, or PostgreSQL LISTEN/NOTIFY across instances), and presence."""
