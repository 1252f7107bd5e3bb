"""The phone (DESIGN §6): the installable app, the service worker, the offline copy, disguise."""
