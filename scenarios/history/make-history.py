#!/usr/bin/env python3
"""Writes history.csv, a synthetic run history in the columns of the
DesktopFlowRuns / flowsession export, from a run of office.toml.

    cargo run --release -- run scenarios/history/office.toml --out reports/office --no-charts
    python3 scenarios/history/make-history.py reports/office/runs.csv > scenarios/history/history.csv

Time 0 of the run is Monday 2 March 2026, 00:00 UTC; timestamps have 7
fractional digits and no zone, as Dataverse exports often have.
"""
import csv
import datetime
import sys

BASE = datetime.datetime(2026, 3, 2)
STATUS = {"succeeded": "4", "failed": "8", "in_flight": "2"}


def stamp(seconds):
    if not seconds:
        return ""
    t = BASE + datetime.timedelta(seconds=float(seconds))
    return t.strftime("%Y-%m-%dT%H:%M:%S.%f") + "0"


def main(path):
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(["flowsessionid", "createdon", "startedon", "completedon", "statuscode",
                  "runmode", "machineidname", "machinegroupidname", "regardingobjectidname"])
    for r in csv.DictReader(open(path, newline="")):
        group = r["target"] if r["target"] == "finance" else ""
        machine = r["machine"] or ("" if group else r["target"])
        out.writerow([int(r["run_id"]) + 1000, stamp(r["arrival_s"]), stamp(r["start_s"]),
                      stamp(r["end_s"]), STATUS.get(r["outcome"], "10"), "2", machine, group,
                      r["flow"]])


if __name__ == "__main__":
    main(sys.argv[1])
