#!/usr/bin/env python3
"""Working-day oracle for China's official calendar (statutory holidays + 调休).

The Rust test in zhengwu-core compares our own calendar (built from
crates/zhengwu-core/src/calendar/cn_holidays.txt) with this output, so that
our seed table is checked against an independent source: the PyPI package
`chinesecalendar` (module `chinese_calendar`).

Usage: chinesecalendar_days.py [FIRST [LAST]]   (ISO dates, inclusive;
defaults 2007-01-01 and 2026-12-31)

Prints one line per date: YYYY-MM-DD<TAB>1 for a working day, <TAB>0 otherwise,
as given by chinese_calendar.is_workday.
"""
import datetime
import sys

try:
    import chinese_calendar
except ImportError as exc:
    sys.exit(f"chinesecalendar_days.py: cannot import chinese_calendar ({exc}); "
             "install it with: pip install chinesecalendar")


def main(argv):
    if len(argv) > 3:
        sys.exit("usage: chinesecalendar_days.py [FIRST [LAST]]")
    try:
        first = datetime.date.fromisoformat(argv[1] if len(argv) > 1 else "2007-01-01")
        last = datetime.date.fromisoformat(argv[2] if len(argv) > 2 else "2026-12-31")
    except ValueError as exc:
        sys.exit(f"chinesecalendar_days.py: bad date: {exc}")
    day = first
    out = []
    while day <= last:
        try:
            work = chinese_calendar.is_workday(day)
        except NotImplementedError as exc:  # year outside the package's data
            sys.exit(f"chinesecalendar_days.py: {day}: {exc}")
        out.append(f"{day.isoformat()}\t{int(work)}\n")
        day += datetime.timedelta(days=1)
    sys.stdout.write("".join(out))


if __name__ == "__main__":
    main(sys.argv)
