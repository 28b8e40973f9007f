//! Numbers as the closing table and the reports print them: grouped counts, rates, milliseconds, MiB.

/// `1234567` → `1,234,567`.
pub(crate) fn group(n: u64) -> String {
    group_digits(&n.to_string())
}

/// A run of digits with a comma between each three from the right: `"1234567"` → `"1,234,567"`.
pub(crate) fn group_digits(digits: &str) -> String {
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// A rate: grouped whole numbers from 1000 up, one decimal below.
pub(crate) fn rate(per_s: f64) -> String {
    if per_s >= 1000.0 && per_s < u64::MAX as f64 { group(per_s.round() as u64) } else { format!("{per_s:.1}") }
}

/// Microseconds as milliseconds, with the precision that matters at that size.
pub(crate) fn ms(us: u64) -> String {
    let ms = us as f64 / 1000.0;
    if ms < 1.0 {
        format!("{ms:.3}")
    } else if ms < 100.0 {
        format!("{ms:.2}")
    } else {
        format!("{ms:.1}")
    }
}

/// 80k, 10M, 1.2G: a count as a person says it.
pub(crate) fn short_count(n: f64) -> String {
    match n {
        n if n >= 1e9 => format!("{}G", trim(n / 1e9)),
        n if n >= 1e6 => format!("{}M", trim(n / 1e6)),
        n if n >= 1e3 => format!("{}k", trim(n / 1e3)),
        n => trim(n),
    }
}

fn trim(n: f64) -> String {
    let text = format!("{n:.1}");
    text.strip_suffix(".0").map_or(text.clone(), str::to_owned)
}

pub(crate) fn mib(bytes: u64) -> String {
    format!("{:.1}", bytes as f64 / (1024.0 * 1024.0))
}

/// How a column of a plain-text table lines up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Align {
    Left,
    Right,
}

/// A plain-text table as the command line prints them: the header, a rule as wide as the table,
/// then the rows. Columns are two spaces apart, each as wide as its widest cell (in characters);
/// trailing spaces are trimmed.
pub(crate) fn text_table<const N: usize>(header: [&str; N], rows: &[[String; N]], align: [Align; N]) -> String {
    let header = header.map(str::to_owned);
    let widths: [usize; N] =
        std::array::from_fn(|i| rows.iter().chain([&header]).map(|r| r[i].chars().count()).max().unwrap_or(0));
    let line = |row: &[String; N]| {
        let mut text = String::new();
        for (i, cell) in row.iter().enumerate() {
            if i > 0 {
                text.push_str("  ");
            }
            let pad = " ".repeat(widths[i].saturating_sub(cell.chars().count()));
            match align[i] {
                Align::Left => text.extend([cell.as_str(), &pad]),
                Align::Right => text.extend([&pad, cell.as_str()]),
            }
        }
        format!("{}\n", text.trim_end())
    };
    let mut out = line(&header);
    out.push_str(&"-".repeat(widths.iter().sum::<usize>() + 2 * N.saturating_sub(1)));
    out.push('\n');
    for row in rows {
        out.push_str(&line(row));
    }
    out
}
