#!/usr/bin/env python3
"""External check of zhengwu's Open311 GeoReport v2 server.

Usage:  python open311_check.py BASE API_KEY
        BASE     e.g. http://127.0.0.1:38123/open311/v2 (no trailing slash needed)
        API_KEY  a key the server accepts for POST requests.

Runs against a live server, in this order, and creates a few service requests:

1. the rules of the SeeClickFix open311-validator (tests/discovery.rb, services.rb,
   service_definition.rb, create.rb, with lib/session.rb, resource.rb, test_helper.rb,
   response.rb), re-expressed here: each check named "validator/...: <the rule's text>";
2. the GeoReport v2 specification (http://wiki.open311.org/GeoReport_v2), in .xml and .json:
   service list, service definition, POST a request, GET a request, GET requests with each
   filter, tokens, and the error format for refused calls;
3. the PyPI client `georeport` (0.3.1) against BASE, with output_format 'json' and 'xml'.

Prints every failed check (name, then what was seen) and exits 1; when all pass, exits 0 with
the last line `ok <N> checks`. Needs `requests`, `xmltodict` and `georeport` (which brings the
other two); a missing one ends the script with Python's ModuleNotFoundError.
"""

import json
import re
import sys
import time
import traceback
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace
from urllib.parse import quote, urlsplit, urlunsplit

import requests
import xmltodict
from georeport import GeoReport

TIMEOUT = 30
FORMATS = ("xml", "json")
MEDIA = {"xml": "text/xml", "json": "application/json"}
DATATYPES = {"string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"}
LIST_TYPES = {"singlevaluelist", "multivaluelist"}
SERVICE_TYPES = {"realtime", "batch", "blackbox"}
STATUSES = ("open", "closed")
CST = timezone(timedelta(hours=8))

# Inside the district (lat 38.70–39.05, long 121.25–121.75), and far outside it.
LAT, LONG = "38.86", "121.52"
FAR_LAT, FAR_LONG = "10", "10"
ADDRESS = "人民路1号附近（Open311 校验）"
UNKNOWN_CODE = "ZZ9999"
UNKNOWN_ID = "19700101-999999"
W3C_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$")

# ---------------------------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------------------------

RESULTS = []  # (name, passed, seen)
NOTES = []


def check(name, cond, seen=""):
    """Records one check; returns whether it passed."""
    passed = bool(cond)
    RESULTS.append((name, passed, seen))
    return passed


def note(text):
    if text not in NOTES:
        NOTES.append(text)


def short(value, limit=300):
    s = value if isinstance(value, str) else repr(value)
    return s if len(s) <= limit else s[:limit] + "…"


# ---------------------------------------------------------------------------------------------
# HTTP
# ---------------------------------------------------------------------------------------------


class Reply:
    """One HTTP exchange, its body parsed as `fmt` (xmltodict for XML)."""

    def __init__(self, method, url, fmt, resp=None, exc=None):
        self.method, self.url, self.fmt = method, url, fmt
        self.status = resp.status_code if resp is not None else None
        self.ctype = resp.headers.get("Content-Type", "") if resp is not None else ""
        self.content = resp.content if resp is not None else b""
        self.data = None
        self.problem = f"no answer: {exc}" if exc is not None else None
        if resp is not None:
            try:
                if fmt == "json":
                    self.data = json.loads(self.content.decode("utf-8"))
                else:
                    self.data = xmltodict.parse(self.content)
            except Exception as e:  # noqa: BLE001 - any parse failure is a finding
                self.problem = f"body does not parse as {fmt}: {e}"

    @property
    def parsed(self):
        return self.problem is None

    def __str__(self):
        body = self.content.decode("utf-8", "replace").strip()
        return f"{self.method} {self.url} -> {self.status} [{self.ctype}] {short(body, 400)}"


def fetch(url, fmt, params=None):
    try:
        resp = requests.get(url, params=params, timeout=TIMEOUT)
        full = resp.url
    except requests.RequestException as e:
        return Reply("GET", url, fmt, exc=e)
    return Reply("GET", full, fmt, resp)


def get(path, fmt, params=None):
    """GET BASE/<path>.<fmt>."""
    return fetch(f"{BASE}/{path}.{fmt}", fmt, params)


def post_request(fmt, form, charset=True):
    """POST BASE/requests.<fmt> as application/x-www-form-urlencoded (UTF-8)."""
    url = f"{BASE}/requests.{fmt}"
    ctype = "application/x-www-form-urlencoded" + ("; charset=utf-8" if charset else "")
    try:
        resp = requests.post(url, data=form, headers={"Content-Type": ctype}, timeout=TIMEOUT)
    except requests.RequestException as e:
        return Reply("POST", url, fmt, exc=e)
    return Reply("POST", url, fmt, resp)


def check_media(name, r):
    """The answer's Content-Type is the format's media type (charset, if named, UTF-8); an XML
    body starts with an XML declaration naming UTF-8."""
    media, _, params = r.ctype.partition(";")
    charset = re.search(r"charset\s*=\s*\"?([\w-]+)", params, re.I)
    ok = media.strip().lower() == MEDIA[r.fmt] and (not charset or charset.group(1).lower() in ("utf-8", "utf8"))
    check(f"{name}: Content-Type is {MEDIA[r.fmt]} (UTF-8)", ok, f"Content-Type {r.ctype!r}")
    if r.fmt == "xml":
        head = r.content.lstrip(b"\xef\xbb\xbf")[:100].decode("utf-8", "replace")
        decl = re.match(r"<\?xml[^>]*encoding\s*=\s*[\"']utf-8[\"']", head, re.I)
        check(f"{name}: XML declaration with encoding=\"UTF-8\"", decl, short(head, 100))


def expect_ok(name, r, statuses=(200,)):
    """Status in `statuses`, the format's media type, and a parsable body."""
    ok = check(f"{name}: answers {'/'.join(map(str, statuses))} with a parsable {r.fmt} body",
               r.status in statuses and r.parsed, f"{r.problem or ''} {r}")
    if r.status is not None:
        check_media(name, r)
    return ok


# ---------------------------------------------------------------------------------------------
# Shapes
# ---------------------------------------------------------------------------------------------


class Bad(Exception):
    """The body does not have the expected shape."""


def as_list(value):
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def items(r, root, child):
    """The records of a GeoReport list answer: a JSON array of objects, or in XML the <child>
    elements of the root <root>. Raises Bad otherwise."""
    if not r.parsed:
        raise Bad(r.problem)
    if r.fmt == "json":
        if not isinstance(r.data, list):
            raise Bad(f"JSON is not an array: {short(r.data)}")
        found = r.data
    else:
        if not isinstance(r.data, dict) or list(r.data) != [root]:
            raise Bad(f"root element is {list(r.data or {})}, not <{root}>")
        body = r.data[root]
        if body is None:
            return []
        if not isinstance(body, dict):
            raise Bad(f"<{root}> holds text {short(body)}, not <{child}> elements")
        others = [k for k in body if k != child and not k.startswith("@")]
        if others:
            raise Bad(f"<{root}> holds {others} besides <{child}>")
        found = as_list(body.get(child))
    bad = [x for x in found if not isinstance(x, dict)]
    if bad:
        raise Bad(f"records that are not objects/elements: {short(bad)}")
    return found


def shape(name, r, root, child):
    """items() as a check; None when the shape is wrong."""
    what = f"<{child}> elements under <{root}>" if r.fmt == "xml" else "a JSON array of objects"
    try:
        found = items(r, root, child)
    except Bad as e:
        check(f"{name}: is {what}", False, f"{e}; {r}")
        return None
    check(f"{name}: is {what}", True)
    return found


def text(value):
    """A scalar field as text, the same for XML and JSON (None and empty are '')."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        return value.strip()
    return repr(value)


def is_scalar_text(value):
    return isinstance(value, (str, int)) and not isinstance(value, bool) and text(value) != ""


def is_bool(value, fmt):
    """JSON true/false; XML the text true/false."""
    return isinstance(value, bool) if fmt == "json" else value in ("true", "false")


def as_bool(value):
    return value is True or value == "true"


def w3c(value):
    """A W3C date-time with a time-zone (Z or ±hh:mm), as an aware datetime; else None.
    Any number of fraction digits is allowed (chrono writes nanoseconds)."""
    if not isinstance(value, str) or not W3C_DATETIME.match(value.strip()):
        return None
    v = re.sub(r"\.(\d{1,6})\d*", lambda m: "." + m.group(1).ljust(6, "0"), value.strip())
    try:
        return datetime.fromisoformat(v.replace("Z", "+00:00"))
    except ValueError:
        return None


def ruby_time(value):
    """What the validator's validate_date_time accepts (Ruby's Time.iso8601): a date-time
    YYYY-MM-DDThh:mm:ss[.frac][zone] or a date YYYY-MM-DD[zone]; no zone means local time.
    Returns an aware datetime, or None when Ruby would refuse it."""
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str):
        return None
    zone = r"(Z|[+-]\d\d(?::?\d\d)?)?"
    m = re.match(r"^\s*(-?\d+)-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(\.\d+)?" + zone + r"\s*$", value, re.I)
    d = m or re.match(r"^\s*(-?\d+)-(\d\d)-(\d\d)" + zone + r"\s*$", value, re.I)
    if not d:
        return None
    g = d.groups()
    try:
        if m:
            frac = int(round(float(g[6] or 0) * 1_000_000))
            t = datetime(int(g[0]), int(g[1]), int(g[2]), int(g[3]), int(g[4]), int(g[5]), min(frac, 999_999))
            z = g[7]
        else:
            t = datetime(int(g[0]), int(g[1]), int(g[2]))
            z = g[3]
    except ValueError:
        return None
    if not z:
        return t.astimezone()  # local time, as Ruby does
    if z.upper() == "Z":
        return t.replace(tzinfo=timezone.utc)
    digits = z[1:].replace(":", "")
    off = timedelta(hours=int(digits[:2]), minutes=int(digits[2:] or 0))
    return t.replace(tzinfo=timezone(off if z[0] == "+" else -off))


def now():
    return datetime.now(timezone.utc)


# ---------------------------------------------------------------------------------------------
# 1a. validator: service discovery (tests/discovery.rb)
# ---------------------------------------------------------------------------------------------


def validator_discovery(ctx):
    V = "validator/discovery: "
    url = f"{BASE}/discovery"
    check(V + 'url should end with "discovery"', url[-9:] == "discovery", url)
    rx, rj = fetch(url + ".xml", "xml"), fetch(url + ".json", "json")
    check(V + "both formats should return results",
          rx.status == 200 and rj.status == 200 and rx.content.strip() and rj.content.strip(),
          f"{rx}\n      {rj}")
    for r in (rx, rj):
        if r.status == 200:
            check_media(f"discovery.{r.fmt}", r)
    xd = rx.data.get("discovery") if rx.parsed and isinstance(rx.data, dict) else None
    jd = rj.data if rj.parsed and isinstance(rj.data, dict) else None
    check("discovery.xml: root element <discovery> with children", isinstance(xd, dict), str(rx))
    check("discovery.json: a JSON object", isinstance(jd, dict), str(rj))
    if not isinstance(xd, dict) or not isinstance(jd, dict):
        return

    check(V + "both formats should have contacts",
          text(xd.get("contact")) and text(jd.get("contact")),
          f"xml {xd.get('contact')!r}, json {jd.get('contact')!r}")
    check(V + "both formats should have key_service information",
          text(xd.get("key_service")) and text(jd.get("key_service")),
          f"xml {xd.get('key_service')!r}, json {jd.get('key_service')!r}")
    check(V + "return valid DateTime objects",
          ruby_time(xd.get("changeset")) and ruby_time(jd.get("changeset")),
          f"xml {xd.get('changeset')!r}, json {jd.get('changeset')!r}")
    check(V + "contacts should return same for both formats",
          all(text(xd.get(k)) == text(jd.get(k)) for k in ("contact", "contacts")),
          f"xml {xd.get('contact')!r}, json {jd.get('contact')!r}")

    # In XML an element is an array only when it repeats (as in HTTParty's MultiXml):
    # <endpoints> needs at least two <endpoint>, each <formats> at least two <format>.
    holder = xd.get("endpoints")
    xml_eps_raw = holder.get("endpoint") if isinstance(holder, dict) else None
    check(V + "xml endpoint should be an array", isinstance(xml_eps_raw, list),
          f"<endpoints> holds {short(holder)} (one <endpoint> alone is not an array)")
    xml_eps = [e for e in as_list(xml_eps_raw) if isinstance(e, dict)]
    check(V + "there should be at least one endpoint", len(xml_eps) > 0, short(holder))
    json_eps_raw = jd.get("endpoints")
    check("discovery.json: endpoints is an array of objects",
          isinstance(json_eps_raw, list) and all(isinstance(e, dict) for e in json_eps_raw),
          short(json_eps_raw))
    json_eps = [e for e in as_list(json_eps_raw) if isinstance(e, dict)]

    def formats_of(ep, fmt):
        f = ep.get("formats")
        if fmt == "json":
            return f if isinstance(f, list) else []
        return [x for x in as_list(f.get("format") if isinstance(f, dict) else None)]

    everyone = [("xml", e) for e in xml_eps] + [("json", e) for e in json_eps]

    def each(rule, pred, what):
        bad = [f"{fmt} {short(what(e), 120)}" for fmt, e in everyone if not pred(fmt, e)]
        check(V + rule, everyone and not bad, "; ".join(bad) or "no endpoints")

    each("each endpoint should have a specification", lambda f, e: text(e.get("specification")),
         lambda e: e)
    each("each endpoint should have a url",
         lambda f, e: re.match(r"^https?://[^/]+", text(e.get("url"))), lambda e: e.get("url"))
    each("each endpoint should have a changeset", lambda f, e: text(e.get("changeset")), lambda e: e)
    each("each endpoint should have a valid changeset", lambda f, e: ruby_time(e.get("changeset")),
         lambda e: e.get("changeset"))
    each("each endpoint should have a changeset in the past",
         lambda f, e: (ruby_time(e.get("changeset")) or now() + timedelta(days=1)) < now(),
         lambda e: e.get("changeset"))
    each("each endpoint should have a type", lambda f, e: text(e.get("type")), lambda e: e)
    each("each endpoint should have an array of formats",
         lambda f, e: isinstance(e.get("formats"), list) if f == "json" else
         isinstance(e.get("formats"), dict) and isinstance(e["formats"].get("format"), list),
         lambda e: e.get("formats"))
    each("each endpoint should have at least one supported format",
         lambda f, e: len(formats_of(e, f)) > 0, lambda e: e.get("formats"))
    v2 = [(f, e) for f, e in everyone if re.match(r"^.*_v2$", text(e.get("specification")), re.I)]
    check("discovery: an endpoint's specification ends in _v2 (e.g. http://wiki.open311.org/GeoReport_v2)",
          v2, short([e.get("specification") for _, e in everyone]))
    bad = [short(e, 150) for f, e in v2 if "text/xml" not in formats_of(e, f)]
    check(V + "all v2 endpoints should support xml", not bad, "; ".join(bad))
    bad = [x for f, e in everyone for x in formats_of(e, f) if not re.match(r"^[\w.+-]+/[\w.+-]+$", text(x))]
    check("discovery: formats are media types (text/xml, application/json)", not bad, short(bad))

    def key(f, e):
        return (text(e.get("specification")), text(e.get("url")), text(e.get("type")),
                text(e.get("changeset")), tuple(text(x) for x in formats_of(e, f)))

    xs, js = sorted(key("xml", e) for e in xml_eps), sorted(key("json", e) for e in json_eps)
    check("discovery: XML and JSON list the same endpoints", xs == js, f"xml {xs}\n      json {js}")
    check("discovery: changeset and key_service the same in both formats",
          text(xd.get("changeset")) == text(jd.get("changeset"))
          and text(xd.get("key_service")) == text(jd.get("key_service")),
          f"xml {xd.get('changeset')!r} {xd.get('key_service')!r}, json {jd.get('changeset')!r} {jd.get('key_service')!r}")
    ctx.endpoints = [(text(e.get("url")), [text(x) for x in formats_of(e, f)]) for f, e in everyone]


def on_server(url):
    """An endpoint URL moved onto the tested server's scheme and host (the discovery may name
    the public host); the path stays."""
    p, b = urlsplit(url), urlsplit(BASE)
    if p.netloc and p.netloc != b.netloc:
        note(f"discovery names host {p.netloc}; its path was fetched from {b.netloc}")
    return urlunsplit((b.scheme, b.netloc, p.path.rstrip("/"), "", ""))


# ---------------------------------------------------------------------------------------------
# 1b. validator: services and definitions (tests/services.rb, service_definition.rb)
# ---------------------------------------------------------------------------------------------


def validator_services(ctx):
    done = set()
    for url, formats in ctx.endpoints:
        for media in formats:
            fmt = media.split("/")[1] if "/" in media else ""
            if re.match(r"^.*html$", fmt, re.I) or (url, fmt) in done:
                continue
            done.add((url, fmt))
            base = on_server(url)
            V = f"validator/services ({fmt} at {urlsplit(url).path}): "
            if fmt not in FORMATS:
                check(V + "format is xml or json", False, media)
                continue
            # The validator always sends jurisdiction_id, empty when none was given.
            r = fetch(f"{base}/services.{fmt}", fmt, {"jurisdiction_id": ""})
            try:
                services = items(r, "services", "service")
            except Bad as e:
                services, why = [], f"{e}; {r}"
            else:
                why = str(r)
            check(V + "there should be at least one service right?", r.status == 200 and services, why)
            check(V + "all services should have a service code",
                  services and all(s.get("service_code") is not None for s in services), why)
            for s in services:
                meta = s.get("metadata")
                if not meta or meta == "false":
                    continue
                code = text(s.get("service_code"))
                rd = fetch(f"{base}/services/{quote(code, safe='')}.{fmt}", fmt, {"jurisdiction_id": ""})
                check(f"validator/service_definition ({fmt}): the definition of {code} (metadata true) answers",
                      rd.status == 200 and rd.parsed and rd.content.strip(), f"{rd.problem or ''} {rd}")


# ---------------------------------------------------------------------------------------------
# 2a. spec: GET services, GET a service definition
# ---------------------------------------------------------------------------------------------


def spec_services(ctx):
    lists = {}
    for fmt in FORMATS:
        name = f"GET services.{fmt}"
        r = get("services", fmt)
        if not expect_ok(name, r):
            continue
        services = shape(name, r, "services", "service")
        if services is None:
            continue
        check(f"{name}: not empty", services, str(r))

        def each(what, pred):
            bad = [short(s, 160) for s in services if not pred(s)]
            check(f"{name}: every service has {what}", services and not bad, "; ".join(bad))

        each("a service_code", lambda s: is_scalar_text(s.get("service_code")))
        each("a service_name", lambda s: is_scalar_text(s.get("service_name")))
        each("metadata true/false", lambda s: is_bool(s.get("metadata"), fmt))
        each("type realtime|batch|blackbox", lambda s: s.get("type") in SERVICE_TYPES)
        codes = [text(s.get("service_code")) for s in services]
        check(f"{name}: service codes are unique", len(set(codes)) == len(codes), short(codes))
        ctx.raw_services[fmt] = r.data
        lists[fmt] = [{"code": text(s.get("service_code")), "name": text(s.get("service_name")),
                       "metadata": as_bool(s.get("metadata")), "type": text(s.get("type"))}
                      for s in services]
    if len(lists) == 2:
        check("services: XML and JSON list the same services (code, name, metadata, type, order)",
              lists["xml"] == lists["json"], f"xml {short(lists['xml'])}\n      json {short(lists['json'])}")
    ctx.services = lists.get("json") or lists.get("xml") or []
    ctx.first = ctx.services[0] if ctx.services else None
    ctx.defsvc = next((s for s in ctx.services if s["metadata"]), None)
    if ctx.services and not ctx.defsvc:
        note("no service has metadata true: the service definition checks did not run")


def spec_definition(ctx):
    if not ctx.defsvc:
        return
    code = ctx.defsvc["code"]
    seen = {}
    for fmt in FORMATS:
        name = f"GET services/{code}.{fmt}"
        r = get(f"services/{quote(code, safe='')}", fmt)
        if not expect_ok(name, r):
            continue
        if fmt == "json":
            d = r.data if isinstance(r.data, dict) else None
            check(f"{name}: a JSON object", d is not None, str(r))
            attrs = d.get("attributes") if d else None
            ok_list = isinstance(attrs, list)
        else:
            root = r.data if isinstance(r.data, dict) else {}
            d = root.get("service_definition") if list(root) == ["service_definition"] else None
            check(f"{name}: root element <service_definition>", isinstance(d, dict), str(r))
            holder = d.get("attributes") if isinstance(d, dict) else None
            attrs = as_list(holder.get("attribute")) if isinstance(holder, dict) else None
            ok_list = attrs is not None
        if not isinstance(d, dict):
            continue
        check(f"{name}: service_code is {code}", text(d.get("service_code")) == code, short(d.get("service_code")))
        check(f"{name}: attributes is a non-empty list (of <attribute> in XML)",
              ok_list and attrs and all(isinstance(a, dict) for a in attrs), short(d.get("attributes")))
        if not ok_list or not attrs:
            continue
        attrs = [a for a in attrs if isinstance(a, dict)]

        def each(what, pred):
            bad = [short(a, 200) for a in attrs if not pred(a)]
            check(f"{name}: every attribute has {what}", not bad, "; ".join(bad))

        def values_of(a):
            v = a.get("values")
            if fmt == "json":
                return v if isinstance(v, list) else None
            return as_list(v.get("value")) if isinstance(v, dict) else ([] if v is None else None)

        each("variable true/false", lambda a: is_bool(a.get("variable"), fmt))
        each("a code", lambda a: is_scalar_text(a.get("code")))
        each("a datatype among " + "|".join(sorted(DATATYPES)), lambda a: a.get("datatype") in DATATYPES)
        each("required true/false", lambda a: is_bool(a.get("required"), fmt))
        each("a datatype_description (may be empty)", lambda a: "datatype_description" in a
             and (a["datatype_description"] is None or isinstance(a["datatype_description"], str)))
        each("an order, a positive integer",
             lambda a: (isinstance(a.get("order"), int) and not isinstance(a.get("order"), bool)
                        if fmt == "json" else re.fullmatch(r"\d+", text(a.get("order")) or "x"))
             and int(a["order"]) > 0)
        each("a description", lambda a: isinstance(a.get("description"), str) and a["description"].strip())
        each("values with key and name when its datatype is a list",
             lambda a: a.get("datatype") not in LIST_TYPES or (
                 values_of(a) and all(isinstance(v, dict) and is_scalar_text(v.get("key"))
                                      and is_scalar_text(v.get("name")) for v in values_of(a))))
        codes = [text(a.get("code")) for a in attrs]
        orders = [text(a.get("order")) for a in attrs]
        check(f"{name}: attribute codes are unique", len(set(codes)) == len(codes), short(codes))
        check(f"{name}: attribute orders are unique", len(set(orders)) == len(orders), short(orders))
        ctx.raw_definition[fmt] = r.data
        seen[fmt] = [{"code": text(a.get("code")), "datatype": text(a.get("datatype")),
                      "required": as_bool(a.get("required")), "variable": as_bool(a.get("variable")),
                      "order": text(a.get("order")),
                      "keys": [text(v.get("key")) for v in (values_of(a) or []) if isinstance(v, dict)]}
                     for a in attrs]
    if len(seen) == 2:
        check(f"services/{code}: XML and JSON define the same attributes",
              seen["xml"] == seen["json"], f"xml {short(seen['xml'])}\n      json {short(seen['json'])}")
    ctx.attributes = seen.get("json") or seen.get("xml") or []


# ---------------------------------------------------------------------------------------------
# 2b. POST a request (and the validator's tests/create.rb)
# ---------------------------------------------------------------------------------------------


def attribute_form(attributes):
    """attribute[code]=value pairs for every variable attribute (multivaluelist: code[]=key)."""
    form = []
    for a in attributes:
        if not a["variable"]:
            continue
        key = f"attribute[{a['code']}]"
        if a["datatype"] == "singlevaluelist" and a["keys"]:
            form.append((key, a["keys"][0]))
        elif a["datatype"] == "multivaluelist" and a["keys"]:
            form.extend((key + "[]", k) for k in a["keys"][:2])
        elif a["datatype"] == "number":
            form.append((key, "3"))
        elif a["datatype"] == "datetime":
            form.append((key, now().astimezone(CST).isoformat(timespec="seconds")))
        else:
            form.append((key, "自动化校验填写的内容"))
    return form


def attributes_for(ctx, code):
    return ctx.attributes if ctx.defsvc and code == ctx.defsvc["code"] else []


def post_answer(name, r):
    """Checks a successful POST answer; returns its one record (or None)."""
    if not expect_ok(name, r, (200, 201)):
        return None
    recs = shape(name, r, "service_requests", "request")
    if recs is None:
        return None
    check(f"{name}: exactly one request in the answer", len(recs) == 1, str(r))
    if len(recs) != 1:
        return None
    rec = recs[0]
    check(f"{name}: the request holds a service_request_id or a token",
          is_scalar_text(rec.get("service_request_id")) or is_scalar_text(rec.get("token")), short(rec))
    return rec


def resolve(fmt, rec, name):
    """The service_request_id of a POST answer, through GET tokens/{token} when a token came."""
    sid, token = text(rec.get("service_request_id")), text(rec.get("token"))
    if not token:
        return sid or None
    tname = f"GET tokens/{{token}}.{fmt}"
    deadline = time.monotonic() + 10
    while True:
        r = get(f"tokens/{quote(token, safe='')}", fmt)
        try:
            recs = items(r, "service_requests", "request")
        except Bad:
            recs = []
        got = text(recs[0].get("service_request_id")) if len(recs) == 1 else ""
        if got or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    if expect_ok(tname, r):
        recs = shape(tname, r, "service_requests", "request")
        if recs is not None:
            one = recs[0] if len(recs) == 1 else {}
            check(f"{tname}: one request with the token and a service_request_id",
                  len(recs) == 1 and text(one.get("token")) == token and text(one.get("service_request_id")),
                  str(r))
            if sid:
                check(f"{tname}: resolves to the POST's service_request_id ({name})",
                      text(one.get("service_request_id")) == sid, str(r))
    return sid or got or None


def validator_create(ctx):
    """tests/create.rb posts api_key, jurisdiction_id (empty), the first service code of the XML
    list, address_string (no lat/long), email and description, to requests.xml and .json."""
    if not ctx.first:
        return
    code = ctx.first["code"]
    needs = [a for a in attributes_for(ctx, code) if a["required"] and a["variable"]]
    for fmt in FORMATS:
        form = [("api_key", API_KEY), ("jurisdiction_id", ""), ("service_code", code),
                ("address_string", ADDRESS), ("email", "open311-check@example.cn"),
                ("description", f"校验器式提交（{fmt}）：人行道井盖缺失")]
        r = post_request(fmt, form, charset=False)  # HTTParty names no charset
        check(f"validator/create ({fmt}): each should return something",
              r.content.strip() and r.parsed, f"{r.problem or ''} {r}")
        name = f"POST requests.{fmt} with address_string only (validator's create)"
        if needs:
            note(f"{code} has required attributes: the validator's create POST is expected to be refused")
            error_answer(name + " without the required attributes", r, (400,))
            continue
        rec = post_answer(name, r)
        sid = resolve(fmt, rec, name) if rec else None
        if sid:
            ctx.created.append(SimpleNamespace(id=sid, label=f"address_string POST .{fmt}", code=code,
                                               description=form[-1][1],
                                               lat=None, long=None, t0=None, t1=None))


def base_form(ctx, code, fmt, description=None):
    form = [("api_key", API_KEY), ("service_code", code), ("lat", LAT), ("long", LONG),
            ("description", description or f"路灯不亮，请尽快维修（Open311 校验，{fmt}）"),
            ("email", "zhang.san@example.cn"), ("first_name", "三"), ("last_name", "张"),
            ("phone", "13800138000")]
    return form + attribute_form(attributes_for(ctx, code))


def spec_post(ctx):
    svc = ctx.defsvc or ctx.first
    if not svc:
        return
    for fmt in FORMATS:
        name = f"POST requests.{fmt} (lat/long{', attributes' if attributes_for(ctx, svc['code']) else ''})"
        form = base_form(ctx, svc["code"], fmt)
        t0 = now()
        r = post_request(fmt, form)
        t1 = now()
        rec = post_answer(name, r)
        sid = resolve(fmt, rec, name) if rec else None
        check(f"{name}: a service_request_id is known (directly or from the token)", sid, str(r))
        if sid:
            ctx.created.append(SimpleNamespace(id=sid, label=f"lat/long POST .{fmt}", code=svc["code"],
                                               description=dict(form)["description"],
                                               lat=LAT, long=LONG, t0=t0, t1=t1))
    ids = [c.id for c in ctx.created]
    check("POST: every created request has its own service_request_id", len(set(ids)) == len(ids), short(ids))


# ---------------------------------------------------------------------------------------------
# 2c. GET a request, GET requests with filters
# ---------------------------------------------------------------------------------------------


def record_problems(rec):
    """What is wrong with the fields every record of GET requests must have."""
    problems = []
    if not is_scalar_text(rec.get("service_request_id")):
        problems.append("no service_request_id")
    if rec.get("status") not in STATUSES:
        problems.append(f"status {rec.get('status')!r}")
    if not is_scalar_text(rec.get("service_code")):
        problems.append("no service_code")
    if not w3c(rec.get("requested_datetime")):
        problems.append(f"requested_datetime {rec.get('requested_datetime')!r}")
    for k in ("updated_datetime", "expected_datetime"):
        if text(rec.get(k)) and not w3c(rec.get(k)):
            problems.append(f"{k} {rec.get(k)!r}")
    return problems


def spec_get_one(ctx):
    names = {s["code"]: s["name"] for s in ctx.services}
    for c in ctx.created:
        for fmt in FORMATS:
            name = f"GET requests/{{id}}.{fmt} ({c.label})"
            r = get(f"requests/{quote(c.id, safe='')}", fmt)
            if not expect_ok(name, r):
                continue
            recs = shape(name, r, "service_requests", "request")
            if recs is None:
                continue
            if not check(f"{name}: exactly one request", len(recs) == 1, str(r)):
                continue
            rec = recs[0]
            problems = record_problems(rec)
            check(f"{name}: service_request_id, status open|closed, service_code, W3C requested_datetime",
                  not problems, f"{problems}: {short(rec)}")
            check(f"{name}: it is the created request (same service_request_id and service_code)",
                  text(rec.get("service_request_id")) == c.id and text(rec.get("service_code")) == c.code,
                  f"created {c.id} {c.code}; got {short(rec)}")
            check(f"{name}: the Chinese description comes back unchanged (UTF-8)",
                  text(rec.get("description")) == c.description.strip(),
                  f"{rec.get('description')!r} for {c.description!r}")
            if text(rec.get("service_name")):
                check(f"{name}: service_name is the service's name",
                      text(rec.get("service_name")) == names.get(c.code), short(rec.get("service_name")))
            if c.lat and text(rec.get("lat")) and text(rec.get("long")):
                try:
                    near = abs(float(text(rec["lat"])) - float(c.lat)) < 1e-4 and \
                        abs(float(text(rec["long"])) - float(c.long)) < 1e-4
                except ValueError:
                    near = False
                check(f"{name}: lat/long are the posted ones", near, f"{rec.get('lat')!r} {rec.get('long')!r}")
            when = w3c(rec.get("requested_datetime"))
            if c.t0 and when:
                slack = timedelta(minutes=5)
                check(f"{name}: requested_datetime is the time of the POST (±5 min)",
                      c.t0 - slack <= when <= c.t1 + slack, f"{rec.get('requested_datetime')} vs {c.t0.isoformat()}")
            c.status = rec.get("status") if rec.get("status") in STATUSES else getattr(c, "status", None)
            c.requested = when or getattr(c, "requested", None)


def list_requests(name, fmt, params=None):
    """GET requests.<fmt>?params; the records (None on a failed check)."""
    r = get("requests", fmt, params)
    if not expect_ok(name, r):
        return None
    recs = shape(name, r, "service_requests", "request")
    if recs is None:
        return None
    bad = [f"{p}: {short(x, 150)}" for x in recs for p in [record_problems(x)] if p]
    check(f"{name}: every request has service_request_id, status, service_code, W3C requested_datetime",
          not bad, "; ".join(bad[:5]))
    return recs


def ids_of(recs):
    return [text(x.get("service_request_id")) for x in recs or []]


def spec_get_list(ctx):
    created = ctx.created
    if not created:
        note("no request was created: the GET requests filter checks did not run")
    a = next((c for c in created if c.lat), created[0] if created else None)
    b = next((c for c in reversed(created) if c is not a), a)
    for fmt in FORMATS:
        N = f"GET requests.{fmt}"
        recs = list_requests(N, fmt)
        if recs is not None:
            ids = ids_of(recs)
            check(f"{N}: the created requests are listed", created and all(c.id in ids for c in created),
                  f"created {[c.id for c in created]}, listed {short(ids)}")
            check(f"{N}: no request listed twice", len(set(ids)) == len(ids), short(ids))
        if not a:
            continue

        name = f"{N}?service_request_id=A,B (two created ids)"
        recs = list_requests(name, fmt, {"service_request_id": f"{a.id},{b.id}"})
        if recs is not None:
            check(f"{name}: exactly those requests", sorted(ids_of(recs)) == sorted({a.id, b.id}),
                  f"asked {a.id},{b.id}; got {short(ids_of(recs))}")

        # "This overrides all other arguments."
        other_status = "closed" if getattr(a, "status", None) == "open" else "open"
        other_code = next((s["code"] for s in ctx.services if s["code"] != a.code), UNKNOWN_CODE)
        name = f"{N}?service_request_id=A&status=<another>&service_code=<another>"
        recs = list_requests(name, fmt, {"service_request_id": a.id, "status": other_status,
                                         "service_code": other_code})
        if recs is not None:
            check(f"{name}: service_request_id overrides the other filters", ids_of(recs) == [a.id],
                  f"asked {a.id} with status {other_status}, service_code {other_code}; got {short(ids_of(recs))}")

        name = f"{N}?service_code=<code of A>"
        recs = list_requests(name, fmt, {"service_code": a.code})
        if recs is not None:
            bad = [short(x, 120) for x in recs if text(x.get("service_code")) != a.code]
            check(f"{name}: every request has that service_code", not bad, f"asked {a.code}: " + "; ".join(bad[:5]))
            check(f"{name}: request A is listed", a.id in ids_of(recs), f"{a.id} not in {short(ids_of(recs))}")
        if other_code != UNKNOWN_CODE:
            codes = {a.code, other_code}
            name = f"{N}?service_code=<code of A>,<another code>"
            recs = list_requests(name, fmt, {"service_code": f"{a.code},{other_code}"})
            if recs is not None:
                bad = [short(x, 120) for x in recs if text(x.get("service_code")) not in codes]
                check(f"{name}: every request has one of those codes", not bad,
                      f"asked {sorted(codes)}: " + "; ".join(bad[:5]))
                check(f"{name}: request A is listed", a.id in ids_of(recs), f"{a.id} not in {short(ids_of(recs))}")

        for status in ("open", "closed", "open,closed"):
            name = f"{N}?status={status}"
            recs = list_requests(name, fmt, {"status": status})
            if recs is None:
                continue
            allowed = status.split(",")
            bad = [short(x, 120) for x in recs if x.get("status") not in allowed]
            check(f"{name}: every request has status {' or '.join(allowed)}", not bad, "; ".join(bad[:5]))
            mine = [c.id for c in created if getattr(c, "status", None) in allowed]
            theirs = [c.id for c in created if getattr(c, "status", None) not in allowed]
            listed = ids_of(recs)
            check(f"{name}: the created requests with that status are listed, the others not",
                  all(i in listed for i in mine) and not any(i in listed for i in theirs),
                  f"expected {mine}, not {theirs}; listed {short(listed)}")

        def in_range(name, start, end, params, expect_a):
            recs = list_requests(name, fmt, params)
            if recs is None:
                return
            bad = [short(x, 120) for x in recs
                   if not (w3c(x.get("requested_datetime")) and start <= w3c(x["requested_datetime"]) <= end)]
            check(f"{name}: every requested_datetime is inside the range", not bad,
                  f"{params}: " + "; ".join(bad[:5]))
            listed = a.id in ids_of(recs)
            check(f"{name}: request A is {'listed' if expect_a else 'not listed'}", listed == expect_a,
                  f"{params}: {a.id} vs {short(ids_of(recs))}")

        when = getattr(a, "requested", None)
        if when:
            start, end = when - timedelta(seconds=60), when + timedelta(seconds=60)
            in_range(f"{N}?start_date=<A's requested_datetime - 1 min, +08:00>&end_date=<+ 1 min, Z>",
                     start, end, {"start_date": start.astimezone(CST).isoformat(timespec="seconds"),
                                  "end_date": end.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")}, True)
        in_range(f"{N}?start_date=2000-01-01T00:00:00Z&end_date=2000-01-02T00:00:00Z",
                 datetime(2000, 1, 1, tzinfo=timezone.utc), datetime(2000, 1, 2, tzinfo=timezone.utc),
                 {"start_date": "2000-01-01T00:00:00Z", "end_date": "2000-01-02T00:00:00Z"}, False)


# ---------------------------------------------------------------------------------------------
# 2d. errors
# ---------------------------------------------------------------------------------------------


def error_answer(name, r, statuses):
    """A refusal: an HTTP status among `statuses`, the error list in the format asked for, each
    error with an integer code equal to the HTTP status and a non-empty description."""
    check(f"{name}: refused with HTTP {' or '.join(map(str, statuses))}", r.status in statuses, str(r))
    if r.status is not None:
        check_media(name, r)
    try:
        errs = items(r, "errors", "error")
    except Bad as e:
        check(f"{name}: the standard error list", False, f"{e}; {r}")
        return
    problems = []
    if not errs:
        problems.append("no error in the list")
    for e in errs:
        code, desc = e.get("code"), e.get("description")
        if r.fmt == "json":
            code_ok = isinstance(code, int) and not isinstance(code, bool)
        else:
            code_ok = isinstance(code, str) and re.fullmatch(r"\s*\d+\s*", code)
        if not code_ok:
            problems.append(f"code {code!r} is not an integer")
        elif int(code) != r.status:
            problems.append(f"code {code!r} is not the HTTP status {r.status}")
        if not isinstance(desc, str) or not desc.strip():
            problems.append(f"description {desc!r} is empty")
    check(f"{name}: the standard error list (integer code = HTTP status, a description)",
          not problems, f"{problems}; {r}")


def all_ids():
    r = get("requests", "json")
    try:
        return set(ids_of(items(r, "service_requests", "request")))
    except Bad:
        return None


def spec_errors(ctx):
    svc = ctx.defsvc or ctx.first
    before = all_ids()
    for fmt in FORMATS:
        P = f"POST requests.{fmt}"
        if svc:
            code = svc["code"]
            form = base_form(ctx, code, fmt, f"不应被受理的提交（{fmt}）")

            def without(*keys):
                return [(k, v) for k, v in form if k not in keys]

            def replaced(**values):
                return [(k, values.get(k, v)) for k, v in form]

            error_answer(f"{P} without api_key", post_request(fmt, without("api_key")), (401, 403))
            error_answer(f"{P} with a wrong api_key",
                         post_request(fmt, replaced(api_key="wrong-" + API_KEY[::-1])), (401, 403))
            error_answer(f"{P} with an unknown service_code",
                         post_request(fmt, replaced(service_code=UNKNOWN_CODE)), (400, 404))
            error_answer(f"{P} with no location (no lat/long, address_string, address_id)",
                         post_request(fmt, without("lat", "long")), (400,))
            error_answer(f"{P} with no description", post_request(fmt, without("description")), (400,))
            error_answer(f"{P} with lat {FAR_LAT} long {FAR_LONG} (outside the district)",
                         post_request(fmt, replaced(lat=FAR_LAT, long=FAR_LONG)), (400,))
            required = [a for a in attributes_for(ctx, code) if a["required"] and a["variable"]]
            if required:
                a = required[0]
                keys = (f"attribute[{a['code']}]", f"attribute[{a['code']}][]")
                error_answer(f"{P} without the required attribute {a['code']}",
                             post_request(fmt, without(*keys)), (400,))
        G = f"GET requests.{fmt}"
        error_answer(f"{G}?start_date=yesterday (malformed)", get("requests", fmt, {"start_date": "yesterday"}),
                     (400,))
        error_answer(f"{G} with end_date before start_date",
                     get("requests", fmt, {"start_date": "2026-01-02T00:00:00+08:00",
                                           "end_date": "2026-01-01T00:00:00+08:00"}), (400,))
        error_answer(f"GET requests/{UNKNOWN_ID}.{fmt} (unknown id)",
                     get(f"requests/{UNKNOWN_ID}", fmt), (404,))
        error_answer(f"GET services/{UNKNOWN_CODE}.{fmt} (unknown service)",
                     get(f"services/{UNKNOWN_CODE}", fmt), (404,))
    after = all_ids()
    check("errors: the refused POSTs created no request (GET requests.json lists no new id)",
          before is not None and after is not None and after <= before,
          f"new ids {sorted((after or set()) - (before or set()))}" if before is not None and after is not None
          else "GET requests.json did not answer a list")


# ---------------------------------------------------------------------------------------------
# 3. the PyPI client `georeport`
# ---------------------------------------------------------------------------------------------


def client(name, call):
    """Runs one client call; an exception is a failed check."""
    try:
        return True, call()
    except Exception as e:  # noqa: BLE001 - the client's exception is the finding
        check(f"{name}: runs", False, f"{type(e).__name__}: {e}")
        return False, None


def georeport_client(ctx):
    """The client's JSON path returns response.json(); its XML path the xmltodict parse under
    ['services']['service'], ['service_definition'] and ['service_requests']['request'] (one
    element comes back as a dict, several as a list)."""
    created = [c.id for c in ctx.created]
    for fmt in ("json", "xml"):
        gr = GeoReport(BASE, api_key=API_KEY, output_format=fmt)
        G = f"georeport ({fmt})"
        raw = ctx.raw_services.get(fmt)
        ok, got = client(f"{G} get_service_list()", gr.get_service_list)
        if ok:
            want = raw if fmt == "json" else (raw or {}).get("services", {}).get("service")
            codes = [text(s.get("service_code")) if isinstance(s, dict) else repr(s) for s in as_list(got)]
            check(f"{G} get_service_list(): what GET services.{fmt} returned, the same service codes",
                  got == want and codes == [s["code"] for s in ctx.services],
                  f"client {short(got)}\n      raw {short(want)}")
        if ctx.defsvc:
            code = ctx.defsvc["code"]
            raw = ctx.raw_definition.get(fmt)
            ok, got = client(f"{G} get_service_definition(<code>)", lambda: gr.get_service_definition(code))
            if ok:
                want = raw if fmt == "json" else (raw or {}).get("service_definition")
                check(f"{G} get_service_definition(<code>): what GET services/<code>.{fmt} returned",
                      isinstance(got, dict) and got == want and text(got.get("service_code")) == code,
                      f"client {short(got)}\n      raw {short(want)}")
        ok, got = client(f"{G} get_service_requests()", gr.get_service_requests)
        if ok:
            ids = ids_of([x for x in as_list(got) if isinstance(x, dict)])
            check(f"{G} get_service_requests(): the created requests are found",
                  created and all(i in ids for i in created), f"created {created}, got {short(ids)}")
        if not created:
            continue
        sid = created[-1]
        ok, got = client(f"{G} get_service_requests(service_request_id=<id>)",
                         lambda: gr.get_service_requests(service_request_id=sid))
        if ok:
            ids = ids_of([x for x in as_list(got) if isinstance(x, dict)])
            check(f"{G} get_service_requests(service_request_id=<id>): that request alone",
                  ids == [sid], f"{sid}: {short(got)}")
        ok, got = client(f"{G} get_service_request(<id>)", lambda: gr.get_service_request(sid))
        if ok:
            check(f"{G} get_service_request(<id>): that request",
                  isinstance(got, dict) and text(got.get("service_request_id")) == sid, f"{sid}: {short(got)}")
        if len(created) > 1:
            ok, got = client(f"{G} get_service_requests(service_request_id=<id>,<id>)",
                             lambda: gr.get_service_requests(service_request_id=",".join(created[:2])))
            if ok:
                ids = ids_of([x for x in as_list(got) if isinstance(x, dict)])
                check(f"{G} get_service_requests(service_request_id=<id>,<id>): those two",
                      sorted(ids) == sorted(created[:2]), f"{created[:2]}: {short(got)}")


# ---------------------------------------------------------------------------------------------


SECTIONS = [
    ("validator: discovery", validator_discovery),
    ("validator: services", validator_services),
    ("spec: GET services", spec_services),
    ("spec: GET service definition", spec_definition),
    ("validator: create", validator_create),
    ("spec: POST requests", spec_post),
    ("spec: GET a request", spec_get_one),
    ("spec: GET requests", spec_get_list),
    ("spec: errors", spec_errors),
    ("georeport client", georeport_client),
]


def main(argv):
    global BASE, API_KEY
    if len(argv) != 3:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    BASE, API_KEY = argv[1].rstrip("/"), argv[2]
    ctx = SimpleNamespace(endpoints=[], services=[], first=None, defsvc=None, attributes=[], created=[],
                          raw_services={}, raw_definition={})
    for title, section in SECTIONS:
        try:
            section(ctx)
        except Exception as e:  # noqa: BLE001 - report and go on with the next section
            where = traceback.extract_tb(e.__traceback__)[-1]
            check(f"{title}: ran to its end", False,
                  f"{type(e).__name__}: {e} (line {where.lineno})")
    for text_ in NOTES:
        print(f"note: {text_}")
    failed = [(n, s) for n, ok, s in RESULTS if not ok]
    for name, seen in failed:
        print(f"FAIL {name}\n      seen: {seen}")
    if failed:
        print(f"failed {len(failed)} of {len(RESULTS)} checks")
        return 1
    print(f"ok {len(RESULTS)} checks")
    return 0


BASE = API_KEY = ""

if __name__ == "__main__":
    sys.exit(main(sys.argv))
