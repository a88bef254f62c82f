#!/usr/bin/env python3
"""Identifier oracle for Chinese ID numbers, backed by the PyPI package
`python-stdnum` (module `stdnum`). The Rust tests in zhengwu-core compare
their own checks with this output.

Reads lines from stdin, each `ric NUMBER` or `uscc NUMBER`, and writes one
TAB-separated line per input line (blank input lines are skipped):

  ric  NUMBER CHECK DATE
      Resident identity number, GB 11643 (18 characters).
      CHECK: 1 if the 18th character equals the ISO 7064 MOD 11-2 check
             character stdnum computes (stdnum.cn.ric.calc_check_digit), else 0.
             Note: that function takes the *whole* 18-character number and
             ignores its last character; passing number[:-1] would be wrong.
      DATE:  1 if stdnum.cn.ric.get_birth_date succeeds (characters 7-14 are
             a real calendar date YYYYMMDD), else 0.
      A number that is not 17 digits followed by a digit or X gives 0 0.
      (ric.is_valid is deliberately not used: it also rejects area codes that
      were created after the birth year, which GB 11643 allows.)

  uscc NUMBER VALID CHECK ORG
      Unified social credit code, GB 32100-2015 (18 characters).
      VALID: stdnum.cn.uscc.is_valid(NUMBER). In python-stdnum 2.2 that
             validate() does exactly this, after compact() (drop spaces and
             hyphens, uppercase): length is 18; characters 1-8 are digits;
             characters 9-18 are in 0-9A-HJ-NP-RTUWXY (no I O S V Z); the
             18th equals calc_check_digit (weights 3^i mod 31, i = 0..16,
             check = alphabet[(31 - sum) % 31]).
             It does NOT check the registration-authority/entity-type codes
             (characters 1-2), that the region code (3-8) exists, nor the
             check character of the embedded organisation code (9-17).
      CHECK: 1 if the 18th character equals
             stdnum.cn.uscc.calc_check_digit(first 17 characters), else 0.
      ORG:   1 if characters 9-17, the organisation code (GB 11714), have a
             correct 9th check character, else 0. stdnum has no function for
             GB 11714, so it is computed here: values 0-9 for digits, 10-35
             for A-Z; weights 3 7 9 10 5 8 4 2 on the first 8 characters;
             c = 11 - sum % 11, written X for 10 and 0 for 11.
      CHECK and ORG use the number after stdnum's compact(), like VALID; a
      number whose compact form is not 18 characters from 0-9A-Z gives 0.

Exits non-zero with a message on stderr if stdnum cannot be imported or an
input line has an unknown kind.
"""
import re
import sys

try:
    from stdnum.cn import ric, uscc
except ImportError as exc:
    sys.exit(f"stdnum_check.py: cannot import stdnum.cn ({exc}); "
             "install it with: pip install python-stdnum")

RIC_FORMAT = re.compile(r"[0-9]{17}[0-9X]")
USCC_CHARS = re.compile(r"[0-9A-Z]{18}")
ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def check_ric(number):
    number = ric.compact(number)
    if not RIC_FORMAT.fullmatch(number):
        return 0, 0
    check = int(ric.calc_check_digit(number) == number[-1])
    try:
        ric.get_birth_date(number)
        date = 1
    except ValueError:  # stdnum's InvalidComponent is a ValueError
        date = 0
    return check, date


def org_code_ok(code):
    """GB 11714 check on a 9-character organisation code."""
    values = [int(c, 36) for c in code[:8]]
    c = 11 - sum(v * w for v, w in zip(values, ORG_WEIGHTS)) % 11
    return code[8] == {10: "X", 11: "0"}.get(c, str(c))


def check_uscc(number):
    valid = int(uscc.is_valid(number))
    number = uscc.compact(number)
    if not USCC_CHARS.fullmatch(number):
        return valid, 0, 0
    try:
        check = int(uscc.calc_check_digit(number[:17]) == number[17])
    except ValueError:  # a letter outside the USCC alphabet
        check = 0
    return valid, check, int(org_code_ok(number[8:17]))


def main():
    for lineno, line in enumerate(sys.stdin, 1):
        fields = line.split()
        if not fields:
            continue
        if len(fields) != 2 or fields[0] not in ("ric", "uscc"):
            sys.exit(f"stdnum_check.py: line {lineno}: expected 'ric NUMBER' "
                     f"or 'uscc NUMBER', got {line.rstrip()!r}")
        kind, number = fields
        result = check_ric(number) if kind == "ric" else check_uscc(number)
        print("\t".join([kind, number, *map(str, result)]))


if __name__ == "__main__":
    main()
