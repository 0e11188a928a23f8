//! Python text renderings that leak into semantic hashes: `repr(float)` (JSON numbers) and
//! `str()`/`repr()` of expanded values (the sort key of set items).

use std::fmt::Write as _;

/// Python's `repr()` of a finite `f64`: shortest round-trip digits, fixed notation when the
/// decimal exponent `e` of `d.ddd × 10^e` satisfies `-4 <= e < 16`, otherwise `d.ddde±XX`
/// (at least two exponent digits); fixed notation always carries a `.` (`1.0`, `-0.0`).
///
/// The caller guarantees `x` is finite.
pub(crate) fn float_repr(x: f64) -> String {
    let (digits, exp) = shortest_digits(x);
    let ndigits = i32::try_from(digits.len()).unwrap_or(i32::MAX);
    // Position of the decimal point relative to the digit string: value = 0.DIGITS × 10^decpt.
    let decpt = exp + 1;

    let mut out = String::with_capacity(digits.len() + 8);
    if x.is_sign_negative() {
        out.push('-');
    }
    if decpt <= -4 || decpt > 16 {
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        let e = decpt - 1;
        let _ = write!(
            out,
            "e{}{:02}",
            if e < 0 { '-' } else { '+' },
            e.unsigned_abs()
        );
    } else if decpt <= 0 {
        out.push_str("0.");
        for _ in 0..-decpt {
            out.push('0');
        }
        out.push_str(&digits);
    } else if decpt < ndigits {
        let split = usize::try_from(decpt).unwrap_or(0);
        out.push_str(&digits[..split]);
        out.push('.');
        out.push_str(&digits[split..]);
    } else {
        out.push_str(&digits);
        for _ in 0..decpt - ndigits {
            out.push('0');
        }
        out.push_str(".0");
    }
    out
}

/// Splits Rust's `{:e}` rendering of `|x|` into (significant digits, decimal exponent).
fn split_sci(sci: &str) -> (String, i32) {
    let body = sci.trim_start_matches('-');
    let (mantissa, exp) = body.split_once('e').unwrap_or((body, "0"));
    let digits = mantissa.chars().filter(|c| *c != '.').collect();
    (digits, exp.parse().unwrap_or(0))
}

/// The shortest digit string that round-trips to `|x|`, with its decimal exponent
/// (`|x| ≈ d.ddd × 10^exp`), chosen like Python's `repr` (David Gay's `dtoa` mode 0).
///
/// Rust's `{:e}` already yields the shortest round-trip digits closest to the exact value;
/// the two disagree only when the exact binary value lies exactly halfway between two
/// shortest candidates, where Rust rounds the last digit up and Python rounds it to even.
/// Such ties need the exact value to have one more significant digit than the shortest
/// form while both neighbours round-trip, which requires a relative precision coarser than
/// about `10^-n`: impossible for normal doubles below 16 digits (relative ulp ≤ 2^-52), so
/// only long digit strings and subnormals are checked against the exact expansion.
fn shortest_digits(x: f64) -> (String, i32) {
    let ax = x.abs();
    let (digits, exp) = split_sci(&format!("{ax:e}"));
    if ax == 0.0 || (digits.len() < 15 && ax >= f64::MIN_POSITIVE) {
        return (digits, exp);
    }
    // Every f64 has an exact decimal expansion of at most 767 significant digits.
    let (exact, exact_exp) = split_sci(&format!("{ax:.800e}"));
    if exact_exp != exp {
        return (digits, exp);
    }
    let n = digits.len();
    let (head, rest) = exact.split_at(n);
    let is_tie = rest.starts_with('5') && rest[1..].bytes().all(|b| b == b'0');
    if !is_tie {
        return (digits, exp);
    }
    // Candidates: the truncation and the truncation plus one unit in the last place.
    let mut up = head.as_bytes().to_vec();
    let mut i = up.len();
    loop {
        if i == 0 {
            // 99..9 + 1 changes the decade; leave Rust's answer alone.
            return (digits, exp);
        }
        i -= 1;
        if up[i] == b'9' {
            up[i] = b'0';
        } else {
            up[i] += 1;
            break;
        }
    }
    let up = String::from_utf8(up).unwrap_or_default();
    let last_even = |s: &str| {
        s.bytes()
            .last()
            .is_some_and(|b| (b - b'0').is_multiple_of(2))
    };
    let preferred = if last_even(head) { head.to_owned() } else { up };
    let round_trips = format!("{}.{}e{exp}", &preferred[..1], &preferred[1..])
        .parse::<f64>()
        .is_ok_and(|v| v == ax);
    if round_trips {
        let trimmed = preferred.trim_end_matches('0');
        let trimmed = if trimmed.is_empty() { "0" } else { trimmed };
        (trimmed.to_owned(), exp)
    } else {
        (digits, exp)
    }
}

/// Whether Python's `str.isprintable()` would hold for `c`, approximately: Python treats
/// as non-printable the Unicode categories Cc, Cf, Cs, Co, Cn, Zl, Zp and Zs (except the
/// ASCII space). Without Unicode tables this covers Cc, Zs, Zl, Zp, the common Cf
/// characters, private use and noncharacters; unassigned code points (Cn) are treated as
/// printable.
fn is_py_printable(c: char) -> bool {
    let u = u32::from(c);
    !(c.is_control()
        || matches!(
            u,
            0xa0 | 0xad
                | 0x600..=0x605
                | 0x61c
                | 0x6dd
                | 0x70f
                | 0x890..=0x891
                | 0x8e2
                | 0x1680
                | 0x180e
                | 0x2000..=0x200f
                | 0x2028..=0x202f
                | 0x205f..=0x2064
                | 0x2066..=0x206f
                | 0x3000
                | 0xe000..=0xf8ff
                | 0xfdd0..=0xfdef
                | 0xfeff
                | 0xfff9..=0xfffb
                | 0x110bd
                | 0x110cd
                | 0x1d173..=0x1d17a
                | 0xe0001
                | 0xe0020..=0xe007f
                | 0xf0000..=0x10ffff
        )
        || (u & 0xfffe) == 0xfffe)
}

/// Python's `repr()` of a `str`: single quotes unless the text contains `'` and no `"`;
/// escapes `\\`, the quote, `\t`, `\n`, `\r`, and non-printable characters as `\xhh`,
/// `\uhhhh` or `\Uhhhhhhhh` (see [`is_py_printable`] for the approximation).
pub(crate) fn str_repr(s: &str, out: &mut String) {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (' '..='~').contains(&c) => out.push(c),
            c if is_py_printable(c) => out.push(c),
            c => {
                let u = u32::from(c);
                let _ = if u < 0x100 {
                    write!(out, "\\x{u:02x}")
                } else if u < 0x10000 {
                    write!(out, "\\u{u:04x}")
                } else {
                    write!(out, "\\U{u:08x}")
                };
            }
        }
    }
    out.push(quote);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn float_repr_matches_python() {
        // Inputs are Rust float literals (parsed exactly), expectations are Python `repr`.
        let cases: &[(&str, &str)] = &[
            ("0.0", "0.0"),
            ("-0.0", "-0.0"),
            ("1.0", "1.0"),
            ("1.5", "1.5"),
            ("-2.5", "-2.5"),
            ("3.14159", "3.14159"),
            ("0.1", "0.1"),
            ("0.30000000000000004", "0.30000000000000004"),
            ("1e-5", "1e-05"),
            ("1.5e-7", "1.5e-07"),
            ("0.0001", "0.0001"),
            ("0.00012345", "0.00012345"),
            ("1e15", "1000000000000000.0"),
            ("1234567890123456.7", "1234567890123456.8"),
            ("1e16", "1e+16"),
            ("1.2345e16", "1.2345e+16"),
            ("1e100", "1e+100"),
            ("123.456", "123.456"),
            ("100.0", "100.0"),
            ("1.7976931348623157e308", "1.7976931348623157e+308"),
            ("2.2250738585072014e-308", "2.2250738585072014e-308"),
            ("5e-324", "5e-324"),
            ("9007199254740993", "9007199254740992.0"),
            // Exact binary value halfway between two shortest candidates: round half even.
            ("87829832555702.125", "87829832555702.12"),
            ("1850908824968708.25", "1850908824968708.2"),
            ("179169477639895.125", "179169477639895.12"),
        ];
        for &(input, want) in cases {
            let x: f64 = input.parse().unwrap();
            assert_eq!(float_repr(x), want, "repr({input})");
        }
        assert_eq!(float_repr(0.1 + 0.2), "0.30000000000000004");
    }

    #[test]
    fn str_repr_matches_python() {
        let cases: &[(&str, &str)] = &[
            ("abc", "'abc'"),
            ("it's", "\"it's\""),
            ("a'b\"c", "'a\\'b\"c'"),
            ("say \"hi\"", "'say \"hi\"'"),
            ("tab\there\n", "'tab\\there\\n'"),
            ("back\\slash", "'back\\\\slash'"),
            ("\u{1}\u{7f}\u{85}", "'\\x01\\x7f\\x85'"),
            ("caf\u{e9} \u{1f600}", "'caf\u{e9} \u{1f600}'"),
            ("\u{a0}\u{2028}\u{feff}", "'\\xa0\\u2028\\ufeff'"),
            ("\u{e000}", "'\\ue000'"),
            ("\u{10fffd}", "'\\U0010fffd'"),
        ];
        for &(s, want) in cases {
            let mut out = String::new();
            str_repr(s, &mut out);
            assert_eq!(out, want, "repr({s:?})");
        }
    }
}
