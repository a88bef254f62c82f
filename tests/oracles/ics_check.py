"""Reads an iCalendar file on stdin with PyPI `icalendar` and prints what a calendar
application would take from it, one `KEY<TAB>value` a line: the events' UID, SUMMARY,
LOCATION, DTSTART and DTEND (as UTC ISO times), STATUS, and the number of alarms."""
import sys
from datetime import timezone

from icalendar import Calendar

cal = Calendar.from_ical(sys.stdin.buffer.read())
assert cal.name == "VCALENDAR", cal.name
assert str(cal.get("VERSION")) == "2.0"
assert cal.get("PRODID")
events = cal.walk("VEVENT")
print(f"EVENTS\t{len(events)}")
for e in events:
    for key in ("UID", "SUMMARY", "LOCATION", "STATUS"):
        print(f"{key}\t{e.get(key)}")
    for key in ("DTSTART", "DTEND"):
        dt = e.decoded(key)
        print(f"{key}\t{dt.astimezone(timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')}")
    print(f"ALARMS\t{len(e.walk('VALARM'))}")
