"""The phone (docs/design.md §6): the installable app, the service worker, the offline copy,
disguise."""
