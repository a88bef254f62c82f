//! Chinese identifiers: the resident ID number (GB 11643-1999), the unified social credit
//! code (GB 32100-2015, with the embedded organisation code of GB 11714-1997) and mobile
//! numbers — parsed at the boundary into types that can only hold valid values, and masked
//! for display and logs.

use std::fmt;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

/// Why a text is not a valid identifier. `code()` is the stable key that the user interface
/// translates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum IdentError {
    #[error("wrong length")]
    Length,
    #[error("characters that are not allowed")]
    Charset,
    #[error("unknown province or region code")]
    Region,
    #[error("the birth date is not a real date")]
    BirthDate,
    #[error("the birth date is in the future")]
    FutureBirthDate,
    #[error("the check character does not match")]
    CheckDigit,
    #[error("the embedded organisation code's check character does not match")]
    OrgCodeCheck,
    #[error("unknown registration department or organisation type")]
    Registration,
    #[error("not a mainland mobile number")]
    Mobile,
}

impl IdentError {
    /// The stable snake_case key of this error.
    pub fn code(self) -> &'static str {
        match self {
            Self::Length => "length",
            Self::Charset => "charset",
            Self::Region => "region",
            Self::BirthDate => "birth_date",
            Self::FutureBirthDate => "future_birth_date",
            Self::CheckDigit => "check_digit",
            Self::OrgCodeCheck => "org_code_check",
            Self::Registration => "registration",
            Self::Mobile => "mobile",
        }
    }
}

// ---------------------------------------------------------------- resident ID (GB 11643)

/// The weights of GB 11643-1999 (2^(17-i) mod 11).
const RIC_WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const RIC_CHECK: &[u8; 11] = b"10X98765432";

/// Province-level codes (GB/T 2260): the first two digits of an ID number. 71 (Taiwan), 81, 82
/// (Hong Kong, Macao) and 83 (residence permits of Taiwan residents) included.
const PROVINCES: [u8; 35] = [
    11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52,
    53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83,
];

/// The check character of the first 17 digits of a resident ID number.
pub fn ric_check_char(first17: &[u8]) -> Option<char> {
    if first17.len() != 17 || !first17.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let sum: u32 = first17
        .iter()
        .zip(RIC_WEIGHTS)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    Some(char::from(RIC_CHECK[(sum % 11) as usize]))
}

/// A valid resident ID number (公民身份号码), 18 characters, upper-case `X`.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct IdNumber(String);

/// Male or female, from the sequence code's parity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    Male,
    Female,
}

impl IdNumber {
    /// Parses an 18-character number, or a 15-digit legacy number (converted to 18 characters
    /// with the century 19). The birth date must be a real date, not after `today`.
    pub fn parse(input: &str, today: NaiveDate) -> Result<Self, IdentError> {
        let s: String = input.trim().to_ascii_uppercase();
        let b = s.as_bytes();
        let full = match b.len() {
            18 => {
                if !b[..17].iter().all(u8::is_ascii_digit)
                    || !(b[17].is_ascii_digit() || b[17] == b'X')
                {
                    return Err(IdentError::Charset);
                }
                s
            }
            15 => {
                if !b.iter().all(u8::is_ascii_digit) {
                    return Err(IdentError::Charset);
                }
                let mut first17 = String::with_capacity(18);
                first17.push_str(&s[..6]);
                first17.push_str("19");
                first17.push_str(&s[6..]);
                let check = ric_check_char(first17.as_bytes()).ok_or(IdentError::Charset)?;
                first17.push(check);
                first17
            }
            _ => return Err(IdentError::Length),
        };
        let fb = full.as_bytes();
        let province = (fb[0] - b'0') * 10 + (fb[1] - b'0');
        if province == 0 || !PROVINCES.contains(&province) {
            return Err(IdentError::Region);
        }
        let birth = birth_date_of(&full).ok_or(IdentError::BirthDate)?;
        if birth > today {
            return Err(IdentError::FutureBirthDate);
        }
        if ric_check_char(&fb[..17]) != Some(char::from(fb[17])) {
            return Err(IdentError::CheckDigit);
        }
        Ok(Self(full))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn birth_date(&self) -> NaiveDate {
        birth_date_of(&self.0).unwrap_or_default()
    }

    pub fn sex(&self) -> Sex {
        if (self.0.as_bytes()[16] - b'0') % 2 == 1 {
            Sex::Male
        } else {
            Sex::Female
        }
    }

    /// Age in whole years on `on`.
    pub fn age_on(&self, on: NaiveDate) -> u32 {
        let b = self.birth_date();
        on.years_since(b).unwrap_or(0)
    }

    /// `210203********1234`: the region and the last four characters.
    pub fn masked(&self) -> String {
        mask(&self.0, 6, 4)
    }
}

fn birth_date_of(full: &str) -> Option<NaiveDate> {
    let y: i32 = full.get(6..10)?.parse().ok()?;
    let m: u32 = full.get(10..12)?.parse().ok()?;
    let d: u32 = full.get(12..14)?.parse().ok()?;
    if y < 1850 {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(y, m, d)?;
    (date.year() == y).then_some(date)
}

impl fmt::Debug for IdNumber {
    /// Debug output is masked, so an id number can never reach a log line in full.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IdNumber({})", self.masked())
    }
}

impl TryFrom<String> for IdNumber {
    type Error = IdentError;
    /// Deserialisation has no clock: it checks everything but the future birth date.
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s, NaiveDate::MAX)
    }
}

impl From<IdNumber> for String {
    fn from(v: IdNumber) -> String {
        v.0
    }
}

// ------------------------------------------------- unified social credit code (GB 32100)

/// The 31 characters of GB 32100-2015 (no I, O, S, V, Z), in value order.
const USCC_CHARS: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
/// 3^i mod 31.
const USCC_WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];
/// GB 11714-1997 weights of the organisation code's eight body characters.
const ORG_WEIGHTS: [u32; 8] = [3, 7, 9, 10, 5, 8, 4, 2];

fn uscc_value(c: u8) -> Option<u32> {
    USCC_CHARS.iter().position(|x| *x == c).map(|p| p as u32)
}

/// The check character of the first 17 characters of a credit code.
pub fn uscc_check_char(first17: &[u8]) -> Option<char> {
    if first17.len() != 17 {
        return None;
    }
    let mut sum = 0;
    for (c, w) in first17.iter().zip(USCC_WEIGHTS) {
        sum += uscc_value(*c)? * w;
    }
    Some(char::from(USCC_CHARS[((31 - sum % 31) % 31) as usize]))
}

/// The check character of an organisation code's eight body characters (GB 11714-1997).
pub fn org_code_check_char(body8: &[u8]) -> Option<char> {
    if body8.len() != 8 {
        return None;
    }
    let mut sum = 0;
    for (c, w) in body8.iter().zip(ORG_WEIGHTS) {
        let v = match c {
            b'0'..=b'9' => u32::from(c - b'0'),
            b'A'..=b'Z' => u32::from(c - b'A') + 10,
            _ => return None,
        };
        sum += v * w;
    }
    Some(match 11 - sum % 11 {
        10 => 'X',
        11 => '0',
        n => char::from(b'0' + n as u8),
    })
}

/// A valid unified social credit code (统一社会信用代码).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CreditCode(String);

impl CreditCode {
    /// Checks the charset, the registration department and organisation type, the
    /// administrative division (six digits), the check character, and the check character of
    /// the embedded organisation code.
    pub fn parse(input: &str) -> Result<Self, IdentError> {
        let s = input.trim().to_ascii_uppercase();
        let b = s.as_bytes();
        if b.len() != 18 {
            return Err(IdentError::Length);
        }
        if !b.iter().all(|c| uscc_value(*c).is_some()) {
            return Err(IdentError::Charset);
        }
        // Registration department: 1–9, A, N, Y; organisation type: 1–9 or Y (GB 32100 §4.2).
        if !matches!(b[0], b'1'..=b'9' | b'A' | b'N' | b'Y')
            || !matches!(b[1], b'1'..=b'9' | b'Y')
            || !b[2..8].iter().all(u8::is_ascii_digit)
        {
            return Err(IdentError::Registration);
        }
        if uscc_check_char(&b[..17]) != Some(char::from(b[17])) {
            return Err(IdentError::CheckDigit);
        }
        if org_code_check_char(&b[8..16]) != Some(char::from(b[16])) {
            return Err(IdentError::OrgCodeCheck);
        }
        Ok(Self(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The embedded organisation code (组织机构代码), e.g. `MA0Q7X1K-5`.
    pub fn organisation_code(&self) -> String {
        format!("{}-{}", &self.0[8..16], &self.0[16..17])
    }

    /// The administrative division where the code was issued.
    pub fn division(&self) -> &str {
        &self.0[2..8]
    }
}

impl TryFrom<String> for CreditCode {
    type Error = IdentError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<CreditCode> for String {
    fn from(v: CreditCode) -> String {
        v.0
    }
}

// ----------------------------------------------------------------------------- mobile

/// A mainland mobile number, eleven digits starting with 1 and 3–9.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Mobile(String);

impl Mobile {
    /// Accepts `13800138000`, `+86 138-0013-8000`, `0086 13800138000`.
    pub fn parse(input: &str) -> Result<Self, IdentError> {
        let digits: String = input
            .trim()
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '(' | ')'))
            .collect();
        let rest = digits
            .strip_prefix("+86")
            .or_else(|| digits.strip_prefix("0086"))
            .unwrap_or(&digits);
        let b = rest.as_bytes();
        if !b.iter().all(u8::is_ascii_digit) {
            return Err(IdentError::Charset);
        }
        if b.len() != 11 {
            return Err(IdentError::Length);
        }
        if b[0] != b'1' || !(b'3'..=b'9').contains(&b[1]) {
            return Err(IdentError::Mobile);
        }
        Ok(Self(rest.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `138****5678`.
    pub fn masked(&self) -> String {
        mask(&self.0, 3, 4)
    }
}

impl fmt::Debug for Mobile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Mobile({})", self.masked())
    }
}

impl TryFrom<String> for Mobile {
    type Error = IdentError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<Mobile> for String {
    fn from(v: Mobile) -> String {
        v.0
    }
}

/// Keeps the first `head` and last `tail` characters and stars the rest; a text too short to
/// keep anything hidden is starred whole.
pub fn mask(s: &str, head: usize, tail: usize) -> String {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() <= head + tail {
        return "*".repeat(chars.len());
    }
    let mut out: String = chars[..head].iter().collect();
    out.extend(std::iter::repeat_n('*', chars.len() - head - tail));
    out.extend(&chars[chars.len() - tail..]);
    out
}

#[cfg(test)]
mod tests;
