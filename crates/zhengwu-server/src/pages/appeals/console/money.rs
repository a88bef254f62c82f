//! Money on the pages: the store keeps fen (an integer); clerks type and read yuan with two
//! decimals. The typed amount is parsed as a decimal string, never through a float.

use zhengwu_store::appeals::disposal::MAX_COST_FEN;

/// Why a typed amount was not taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum YuanError {
    /// Nothing typed.
    Empty,
    /// Not a plain amount (letters, a minus sign, two points …).
    NotAnAmount,
    /// More than two decimals (finer than a fen).
    Decimals,
    /// More than the largest cost an order may record.
    TooLarge,
}

impl YuanError {
    /// The catalogue key of the message shown beside the field.
    pub(crate) fn key(self) -> &'static str {
        match self {
            Self::Empty => "appeal.dispose.cost_required",
            Self::NotAnAmount => "appeal.dispose.cost_format",
            Self::Decimals => "appeal.dispose.cost_decimals",
            Self::TooLarge => "appeal.dispose.cost_range",
        }
    }
}

/// `12345.67` (or `¥12,345.67`, `12345.6`, `12345`, `12345元`) in fen, exactly.
pub(crate) fn parse_yuan(typed: &str) -> Result<i64, YuanError> {
    let s = typed.trim();
    let s = s
        .strip_prefix('¥')
        .or_else(|| s.strip_prefix('￥'))
        .unwrap_or(s)
        .trim();
    let s = s.strip_suffix('元').unwrap_or(s).trim();
    if s.is_empty() {
        return Err(YuanError::Empty);
    }
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i, f),
        None => (s, ""),
    };
    // Thousands separators are fine where they belong: 12,345.67.
    let int: String = if int.contains(',') {
        let groups: Vec<&str> = int.split(',').collect();
        let well_grouped = groups.first().is_some_and(|g| (1..=3).contains(&g.len()))
            && groups[1..].iter().all(|g| g.len() == 3);
        if !well_grouped {
            return Err(YuanError::NotAnAmount);
        }
        groups.concat()
    } else {
        int.to_owned()
    };
    if int.is_empty()
        || !int.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(YuanError::NotAnAmount);
    }
    if frac.len() > 2 {
        return Err(YuanError::Decimals);
    }
    let mut yuan: i64 = 0;
    for b in int.bytes() {
        yuan = yuan
            .checked_mul(10)
            .and_then(|y| y.checked_add(i64::from(b - b'0')))
            .ok_or(YuanError::TooLarge)?;
    }
    let mut fen_part: i64 = 0;
    for (i, b) in frac.bytes().enumerate() {
        let place = if i == 0 { 10 } else { 1 };
        fen_part += i64::from(b - b'0') * place;
    }
    let fen = yuan
        .checked_mul(100)
        .and_then(|f| f.checked_add(fen_part))
        .ok_or(YuanError::TooLarge)?;
    if fen > MAX_COST_FEN {
        return Err(YuanError::TooLarge);
    }
    Ok(fen)
}

/// Fen as yuan with two decimals and thousands separators: `12,345.67`.
pub(crate) fn yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let abs = fen.unsigned_abs();
    let int = (abs / 100).to_string();
    let mut grouped = String::with_capacity(int.len() + int.len() / 3);
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{sign}{grouped}.{:02}", abs % 100)
}

/// A fen amount typed back into a form: `12345.67`.
pub(crate) fn typed(fen: i64) -> String {
    yuan(fen).replace(',', "")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_yuan_become_exact_fen() {
        assert_eq!(parse_yuan("12345.67"), Ok(1_234_567));
        assert_eq!(parse_yuan(" 12345.6 "), Ok(1_234_560));
        assert_eq!(parse_yuan("12345"), Ok(1_234_500));
        assert_eq!(parse_yuan("12345."), Ok(1_234_500));
        assert_eq!(parse_yuan("0"), Ok(0));
        assert_eq!(parse_yuan("0.01"), Ok(1));
        assert_eq!(parse_yuan("0.1"), Ok(10));
        assert_eq!(parse_yuan("¥12,345.67"), Ok(1_234_567));
        assert_eq!(parse_yuan("￥1,000"), Ok(100_000));
        assert_eq!(parse_yuan("88元"), Ok(8_800));
        // The float trap: 0.29 * 100 is 28.999… in binary floating point.
        assert_eq!(parse_yuan("0.29"), Ok(29));
        assert_eq!(parse_yuan("1.15"), Ok(115));
        assert_eq!(parse_yuan("100000000"), Ok(MAX_COST_FEN));
    }

    #[test]
    fn what_is_not_an_amount_in_fen_is_refused_with_its_reason() {
        assert_eq!(parse_yuan(""), Err(YuanError::Empty));
        assert_eq!(parse_yuan("  ¥ "), Err(YuanError::Empty));
        assert_eq!(parse_yuan("12.345"), Err(YuanError::Decimals));
        assert_eq!(parse_yuan("1.230"), Err(YuanError::Decimals));
        for bad in [
            "-5", "abc", "1.2.3", ".5", "1e3", "12,34.5", "1,2345", "１２", "+3", "1 000",
        ] {
            assert_eq!(parse_yuan(bad), Err(YuanError::NotAnAmount), "{bad}");
        }
        assert_eq!(parse_yuan("100000000.01"), Err(YuanError::TooLarge));
        assert_eq!(parse_yuan("99999999999999999999"), Err(YuanError::TooLarge));
    }

    #[test]
    fn fen_are_shown_as_yuan_with_two_decimals() {
        assert_eq!(yuan(0), "0.00");
        assert_eq!(yuan(5), "0.05");
        assert_eq!(yuan(1_234_567), "12,345.67");
        assert_eq!(yuan(100_000), "1,000.00");
        assert_eq!(yuan(99_999), "999.99");
        assert_eq!(yuan(MAX_COST_FEN), "100,000,000.00");
        assert_eq!(yuan(-150), "-1.50");
        assert_eq!(typed(1_234_567), "12345.67");
        for fen in [0, 1, 10, 99, 100, 12_345, 1_234_567, MAX_COST_FEN] {
            assert_eq!(parse_yuan(&yuan(fen)), Ok(fen));
        }
    }
}
