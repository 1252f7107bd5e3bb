"""The operator's console commands (``python -m app backup | restore | check``)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from app import crypto
from app.ops import backup as backups
from app.ops import checks
from app.settings import Settings


def backup(settings: Settings, args: argparse.Namespace) -> int:
    file = args.file
    try:
        key = backups.backup_key(settings.backup_key)
        summary = backups.make(settings.database_url, key, Path(file))
    except backups.BackupError as exc:
        print(f"Ingen sikkerhedskopi: {exc}", file=sys.stderr)
        return 1
    print(
        f"Sikkerhedskopi gemt i {file}: {len(summary.counts)} tabeller, {summary.rows} rækker"
        f" ({summary.dialect}, version {summary.revision}), krypteret med TRYG_BACKUP_KEY."
    )
    return 0


def restore(settings: Settings, args: argparse.Namespace) -> int:
    file = args.file
    try:
        key = backups.backup_key(settings.backup_key)
        crypto.configure(crypto.Cipher.from_settings(settings))
        summary = backups.restore(settings.database_url, key, Path(file))
    except backups.BackupError as exc:
        print(f"Gendannelsen lykkedes ikke: {exc}", file=sys.stderr)
        return 1
    print(
        f"Gendannet og kontrolleret: {len(summary.counts)} tabeller, {summary.rows} rækker som i"
        f" sikkerhedskopien, integritetstjek i orden, {summary.sampled} krypterede værdier"
        " åbnet med TRYG_DATA_KEY."
    )
    return 0


def check(settings: Settings, args: argparse.Namespace) -> int:
    problems = checks.problems(settings)
    for problem in problems:
        print(f"- {problem}")
    if problems:
        print(f"{len(problems)} problem(er) med produktionsindstillingerne.", file=sys.stderr)
        return 1
    print("Indstillingerne er klar til produktion.")
    return 0
