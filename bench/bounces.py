"""Delivery-report reading over the labelled bounce corpus (run by hand).

    uv run python bench/bounces.py [--verbose]

Three readers on tests/fixtures/bounces/: our RFC 3464 field reader alone, Mailman's
flufl.bounce alone, and the combination the service uses (fields first, flufl.bounce where there
are none, the report's words for the action when neither finds anything). For each: the outcome
right (failed / delayed / no failure), the addresses exact (failed and delayed reports), and the
delay or success reports read as a failure (the mistake that marks a working address failing).
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

from mail.reading.delivery_report import (
    DeliveryReport,
    detected_by_flufl,
    guessed_action,
    read_report,
    rfc3464,
)
from mail.reading.kind import notice_text
from mail.reading.mime import collect

CORPUS = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "bounces"
Reader = Callable[[bytes], tuple[str, tuple[str, ...]]]


def outcome(action: str | None) -> str:
    """failed | delayed | none: what the service does about it."""
    return action if action in ("failed", "delayed") else "none"


def _parsed(raw: bytes) -> EmailMessage:
    message = message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def fields_only(raw: bytes) -> tuple[str, tuple[str, ...]]:
    report = DeliveryReport("rfc3464", rfc3464(_parsed(raw)))
    return outcome(report.action), report.addresses


def flufl_only(raw: bytes) -> tuple[str, tuple[str, ...]]:
    report = DeliveryReport("flufl", detected_by_flufl(_parsed(raw)))
    return outcome(report.action), report.addresses


def combined(raw: bytes) -> tuple[str, tuple[str, ...]]:
    """What `mail.bounces` does once a VERP address has vouched for the report."""
    message = _parsed(raw)
    report = read_report(message)
    if report.action is None:
        return outcome(guessed_action(message, notice_text(collect(raw)))), ()
    return outcome(report.action), report.addresses


READERS: dict[str, Reader] = {
    "rfc3464 fields": fields_only,
    "flufl.bounce": flufl_only,
    "combined": combined,
}


def score(reader: Reader, *, verbose: bool = False) -> dict[str, float]:
    labels = json.loads((CORPUS / "labels.json").read_text("utf-8"))
    right = exact = with_addresses = false_failures = 0
    started = time.perf_counter()
    for name, label in sorted(labels.items()):
        want = outcome(label["action"])
        got, addresses = reader((CORPUS / name).read_bytes())
        right += got == want
        if want != "none":
            with_addresses += 1
            exact += set(addresses) == set(label["addresses"])
        false_failures += want != "failed" and got == "failed"
        wrong_addresses = want != "none" and set(addresses) != set(label["addresses"])
        if verbose and (got != want or wrong_addresses):
            print(f"    {name}: want {want} {label['addresses']}, got {got} {list(addresses)}")
    elapsed = time.perf_counter() - started
    return {
        "messages": len(labels),
        "outcome": right / len(labels),
        "addresses_exact": exact / with_addresses,
        "false_failures": false_failures,
        "ms_per_message": 1000 * elapsed / len(labels),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    print(f"bounce corpus: {CORPUS}")
    for name, reader in READERS.items():
        figures = score(reader, verbose=args.verbose)
        print(
            f"{name:16} outcome {figures['outcome']:.3f}  addresses exact "
            f"{figures['addresses_exact']:.3f}  delay/success read as failure "
            f"{figures['false_failures']:.0f}  ({figures['messages']:.0f} messages, "
            f"{figures['ms_per_message']:.2f} ms each)"
        )


if __name__ == "__main__":
    main()
