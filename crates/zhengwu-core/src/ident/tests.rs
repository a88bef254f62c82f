use chrono::NaiveDate;
use proptest::prelude::*;

use super::*;

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()
}

/// A valid 18-character ID number built from a region, a birth date and a sequence code.
pub(crate) fn make_id(region: u32, birth: NaiveDate, seq: u32) -> String {
    let first17 = format!("{region:06}{}{seq:03}", birth.format("%Y%m%d"));
    let check = ric_check_char(first17.as_bytes()).unwrap();
    format!("{first17}{check}")
}

/// A valid credit code from a body of 16 characters (positions 1–8 and the org code's eight).
pub(crate) fn make_uscc(head8: &str, org8: &str) -> String {
    let org_check = org_code_check_char(org8.as_bytes()).unwrap();
    let first17 = format!("{head8}{org8}{org_check}");
    let check = uscc_check_char(first17.as_bytes()).unwrap();
    format!("{first17}{check}")
}

#[test]
fn the_standards_example_id_number_is_valid() {
    let id = IdNumber::parse("11010519491231002x", today()).unwrap();
    assert_eq!(id.as_str(), "11010519491231002X");
    assert_eq!(
        id.birth_date(),
        NaiveDate::from_ymd_opt(1949, 12, 31).unwrap()
    );
    assert_eq!(id.sex(), Sex::Female);
    assert_eq!(id.masked(), "110105********002X");
    assert_eq!(format!("{id:?}"), "IdNumber(110105********002X)");
}

#[test]
fn a_legacy_15_digit_number_is_converted_to_18() {
    // 15-digit form of 11010519491231002X: the century and the check character are dropped.
    let id = IdNumber::parse("110105491231002", today()).unwrap();
    assert_eq!(id.as_str(), "11010519491231002X");
}

#[test]
fn id_numbers_are_rejected_for_each_reason() {
    let cases = [
        ("1101051949123100", IdentError::Length),
        ("11010519491231002A", IdentError::Charset),
        ("00010519491231002X", IdentError::Region),
        ("99010519491231002X", IdentError::Region),
        ("110105194902300021", IdentError::BirthDate),
        ("110105194912310021", IdentError::CheckDigit),
    ];
    for (input, want) in cases {
        assert_eq!(IdNumber::parse(input, today()), Err(want), "{input}");
    }
    let future = make_id(210203, NaiveDate::from_ymd_opt(2027, 1, 1).unwrap(), 12);
    assert_eq!(
        IdNumber::parse(&future, today()),
        Err(IdentError::FutureBirthDate)
    );
}

#[test]
fn the_stdnum_example_credit_code_is_valid() {
    let c = CreditCode::parse("91110000600037341L").unwrap();
    assert_eq!(c.organisation_code(), "60003734-1");
    assert_eq!(c.division(), "110000");
}

#[test]
fn credit_codes_are_rejected_for_each_reason() {
    let cases = [
        ("91110000600037341", IdentError::Length),
        ("91110000600037341I", IdentError::Charset),
        ("0111000060003734X1", IdentError::Registration),
        ("91110000600037341M", IdentError::CheckDigit),
    ];
    for (input, want) in cases {
        assert_eq!(CreditCode::parse(input), Err(want), "{input}");
    }
    // Right overall check character, wrong organisation-code check character.
    let first17 = "911100006000373420";
    let mut bad = first17[..17].to_owned();
    bad.push(uscc_check_char(bad.as_bytes()).unwrap());
    assert_eq!(CreditCode::parse(&bad), Err(IdentError::OrgCodeCheck));
}

#[test]
fn mobiles_are_normalised_and_masked() {
    let m = Mobile::parse("+86 138-0013-8000").unwrap();
    assert_eq!(m.as_str(), "13800138000");
    assert_eq!(m.masked(), "138****8000");
    assert_eq!(format!("{m:?}"), "Mobile(138****8000)");
    assert_eq!(Mobile::parse("12800138000"), Err(IdentError::Mobile));
    assert_eq!(Mobile::parse("1380013800"), Err(IdentError::Length));
    assert_eq!(Mobile::parse("1380013800a"), Err(IdentError::Charset));
}

#[test]
fn masking_never_reveals_short_values() {
    assert_eq!(mask("1234", 3, 4), "****");
    assert_eq!(mask("", 3, 4), "");
    assert_eq!(mask("王小明", 1, 0), "王**");
}

fn birth_dates() -> impl Strategy<Value = NaiveDate> {
    (1900i32..=2026, 1u32..=12, 1u32..=31).prop_filter_map("real date", |(y, m, d)| {
        NaiveDate::from_ymd_opt(y, m, d).filter(|d| *d <= today())
    })
}

fn regions() -> impl Strategy<Value = u32> {
    (prop::sample::select(PROVINCES.to_vec()), 0u32..10000)
        .prop_map(|(p, r)| u32::from(p) * 10000 + r)
}

proptest! {
    #[test]
    fn every_generated_id_number_is_valid_and_keeps_its_birth_date(
        region in regions(), birth in birth_dates(), seq in 0u32..1000
    ) {
        let id = IdNumber::parse(&make_id(region, birth, seq), today()).unwrap();
        prop_assert_eq!(id.birth_date(), birth);
        prop_assert_eq!(id.sex() == Sex::Male, seq % 2 == 1);
        prop_assert_eq!(id.masked().chars().filter(|c| *c == '*').count(), 8);
    }

    #[test]
    fn any_single_digit_change_is_caught(
        region in regions(), birth in birth_dates(), seq in 0u32..1000,
        pos in 0usize..18, digit in 0u8..10
    ) {
        let good = make_id(region, birth, seq);
        let mut bytes = good.clone().into_bytes();
        let new = b'0' + digit;
        prop_assume!(bytes[pos] != new);
        bytes[pos] = new;
        let bad = String::from_utf8(bytes).unwrap();
        prop_assert!(IdNumber::parse(&bad, today()).is_err(), "{} accepted", bad);
    }

    #[test]
    fn every_generated_credit_code_is_valid_and_any_change_is_caught(
        dept in prop::sample::select(b"12345679ANY".to_vec()),
        kind in prop::sample::select(b"123Y".to_vec()),
        division in 110000u32..660000,
        org in prop::collection::vec(prop::sample::select(USCC_CHARS.to_vec()), 8),
        pos in 0usize..18, replacement in prop::sample::select(USCC_CHARS.to_vec()),
    ) {
        let head = format!("{}{}{division:06}", char::from(dept), char::from(kind));
        let code = make_uscc(&head, std::str::from_utf8(&org).unwrap());
        prop_assert!(CreditCode::parse(&code).is_ok(), "{} rejected", code);
        let mut bytes = code.into_bytes();
        prop_assume!(bytes[pos] != replacement);
        bytes[pos] = replacement;
        let bad = String::from_utf8(bytes).unwrap();
        prop_assert!(CreditCode::parse(&bad).is_err(), "{} accepted", bad);
    }

    #[test]
    fn parsing_arbitrary_text_never_panics(s in "\\PC{0,24}") {
        let _ = IdNumber::parse(&s, today());
        let _ = CreditCode::parse(&s);
        let _ = Mobile::parse(&s);
    }
}
