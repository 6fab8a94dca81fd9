"""Identification of scanned pages by their QR label: coordinator_app.scans.qr.find_labels +
coordinator_app.qr_payload.decode_label on a degraded set of realistic scans.

    .venv/bin/python bench/qr_identification.py [--pages N] [--seed S]

Pages (tests/fixtures/scan_pages.py, made from real labels rendered by write_labels_pdf; one at a
time, generation not timed): N pages (default 240), half title pages with a label (a different
code each), half plain text pages. Each page draws, from a seeded random generator:
  profile   200 dpi grey, 300 dpi colour, 200 dpi b/w, 150 dpi b/w (1-bit, plain threshold)
  layout    a4-3x8, a4-3x7, a4-2x8, a4-4x10 (the smallest labels)
  login     9 characters (QR version 2) or 20 (version 3, smaller modules)
  rotation  0 / 90 / 180 / 270 (sheet fed the wrong way), skew uniform in ±4°
  noise     0, 0.5 %, 1 % or 2 % salt-and-pepper; JPEG quality 20-50 for grey/colour pages
Plus 20 pages whose label is damaged (5-30 % of the QR modules painted over) or altered
(code changed, check left): they must never give a wrong code.

Timed per page: find_labels(image) + decode_label of every hit, time.perf_counter().
A clean 200 dpi grey page (with and without label) is also timed 15 times for the target
figures (< 30 ms with a label, < 60 ms without), first in the fresh process, then again after
the degraded set (the steady state of an import worker; see clean_reference).
Figures: pages, labels identified / printed, wrongly identified (must be 0), median and p95 ms
for pages with and without labels, per profile. Exit status 1 if anything was wrongly identified.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from _common import Report, ms

PROFILES = {  # name: (dpi, mode)
    "200dpi-grey": (200, "L"),
    "300dpi-colour": (300, "RGB"),
    "200dpi-bw": (200, "1"),
    "150dpi-bw": (150, "1"),
}
LAYOUTS = ["a4-3x8", "a4-3x7", "a4-2x8", "a4-4x10"]
LOGINS = ["sch123456", "sch1234567890abcdefg"]


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def identify(image) -> tuple[list[str], int, float]:
    """(codes of valid labels, rejected hits, seconds)."""
    from coordinator_app.qr_payload import LabelFormatError, decode_label
    from coordinator_app.scans.qr import find_labels

    started = time.perf_counter()
    codes: list[str] = []
    rejected = 0
    for hit in find_labels(image):
        try:
            codes.append(decode_label(hit.text).code)
        except LabelFormatError:
            rejected += 1
    return codes, rejected, time.perf_counter() - started


def clean_reference(report: Report, label_page, plain, state: str) -> None:
    """Median of 15 runs on a clean 200 dpi grey A4 page with and without a label."""
    clean: dict[str, list[float]] = {"label": [], "plain": []}
    for _ in range(15):
        clean["label"].append(identify(label_page)[2])
        clean["plain"].append(identify(plain)[2])
    where = "fresh process" if state == "fresh" else "after the degraded set"
    report.figure(f"clean_200dpi_label_{state}_median_ms", ms(statistics.median(clean["label"])),
                  "ms", f"clean 200 dpi grey A4 with a label, {where}: median (target < 30)")
    report.figure(f"clean_200dpi_plain_{state}_median_ms", ms(statistics.median(clean["plain"])),
                  "ms", f"clean 200 dpi grey A4 without a label, {where}: median (target < 60)")


def page_params(rng: random.Random) -> dict:
    profile = rng.choice(list(PROFILES))
    dpi, mode = PROFILES[profile]
    return {
        "profile": profile,
        "dpi": dpi,
        "mode": mode,
        "rotation": rng.choice((0, 90, 180, 270)),
        "skew": round(rng.uniform(-4, 4), 2),
        "noise": rng.choice((0.0, 0.005, 0.01, 0.02)),
        "jpeg_quality": None if mode == "1" else rng.choice((20, 30, 40, 50)),
        "seed": rng.randrange(10**6),
    }


def main(argv: list[str] | None = None) -> int:
    from tests.fixtures.scan_pages import label_payload, plain_page, title_page

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=240)
    parser.add_argument("--seed", type=int, default=20260415)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    report = Report("qr_identification")

    # Warm-up (imports, zxing-cpp, the font cache), then the clean 200 dpi reference pages.
    clean_label = title_page("51234")
    clean_plain = plain_page()
    identify(clean_label)
    clean_reference(report, clean_label, clean_plain, "fresh")

    times: dict[str, list[float]] = {"label": [], "plain": []}
    by_profile: dict[str, dict[str, list[float]]] = {p: {"label": [], "plain": []} for p in PROFILES}
    printed = identified = wrong = rejected_total = 0
    missed: list[str] = []
    with_label = args.pages // 2
    for index in range(args.pages):
        params = page_params(rng)
        profile = params.pop("profile")
        if index < with_label:
            code = str(40000 + index * 7 % 50000 + 10000)
            layout = rng.choice(LAYOUTS)
            login = rng.choice(LOGINS)
            image = title_page(code, layout=layout, login=login, **params)
            codes, rejected, seconds = identify(image)
            printed += 1
            if code in codes:
                identified += 1
            else:
                missed.append(f"{code} {profile} {layout} {login} {params}")
            wrong += sum(1 for c in codes if c != code)
            kind = "label"
        else:
            image = plain_page(**params)
            codes, rejected, seconds = identify(image)
            wrong += len(codes)
            kind = "plain"
        rejected_total += rejected
        times[kind].append(seconds)
        by_profile[profile][kind].append(seconds)

    # Damaged and altered labels: never a wrong code.
    damaged_pages = damaged_found = damaged_rejected = 0
    for index in range(20):
        code = str(90000 + index)
        params = page_params(rng)
        params.pop("profile")
        if index % 4 == 3:
            altered = label_payload(code).replace(f":{code}:", f":{int(code) + 1}:")
            image = title_page(code, payload=altered, **params)
        else:
            image = title_page(code, damage=rng.choice((0.05, 0.1, 0.2, 0.3)), **params)
        codes, rejected, _ = identify(image)
        damaged_pages += 1
        damaged_found += sum(1 for c in codes if c == code)
        damaged_rejected += rejected
        wrong += sum(1 for c in codes if c != code)

    # Again, now that the process has handled big page images: the steady state of an import
    # worker (glibc hands freed big blocks back to the OS at first, and re-faulting fresh pages
    # costs a fresh process up to ~20 ms a page; it stops once big images have come through).
    clean_reference(report, clean_label, clean_plain, "steady")

    report.figure("pages", args.pages + damaged_pages, "",
                  f"pages ({with_label} with a label, {args.pages - with_label} without, "
                  f"{damaged_pages} damaged/altered)")
    report.figure("labels_printed", printed)
    report.figure("labels_identified", identified, "", f"labels identified ({identified}/{printed})")
    report.figure("identified_pct", round(100 * identified / max(1, printed), 1), "%")
    report.figure("wrongly_identified", wrong, "", "wrongly identified (must be 0)")
    report.figure("rejected_hits", rejected_total, "", "QR hits rejected by decode_label (degraded set)")
    report.figure("damaged_pages", damaged_pages)
    report.figure("damaged_read_correctly", damaged_found, "",
                  "damaged labels still read correctly (Reed-Solomon)")
    report.figure("damaged_rejected", damaged_rejected, "", "damaged/altered labels rejected by the check")
    for kind in ("label", "plain"):
        values = times[kind]
        name = "with a label" if kind == "label" else "without a label"
        report.figure(f"{kind}_median_ms", ms(statistics.median(values)), "ms", f"pages {name}: median")
        report.figure(f"{kind}_p95_ms", ms(p95(values)), "ms", f"pages {name}: p95")
        report.figure(f"{kind}_max_ms", ms(max(values)), "ms", f"pages {name}: max")
    for profile, kinds in by_profile.items():
        for kind, values in kinds.items():
            if values:
                report.figure(f"{profile}_{kind}_median_ms", ms(statistics.median(values)), "ms",
                              f"{profile}, {'with' if kind == 'label' else 'without'} label: median "
                              f"of {len(values)}")
    for line in missed:
        report.note(f"not identified: {line}")
    report.data["missed"] = missed
    report.finish()
    return 1 if wrong else 0


if __name__ == "__main__":
    raise SystemExit(main())
