//! Mapping a test's path to the RFC section it exercises.
//!
//! hcache-core's tests name the section they cover in their path. Some
//! `::`-separated segment (the test's own name first, then its modules from the
//! innermost outward) has the shape
//!
//! ```text
//! [rfc<digits>_]s<digits>(_<digits>)*   followed by the end or `_` + non-digit text
//! ```
//!
//! for example `s4_2_3_corrected_initial_age` (RFC 9111 §4.2.3, 9111 being
//! the default) or `rfc5861_s3_swr_serves_stale` (RFC 5861 §3). A segment that
//! has the `rfc<digits>` prefix but no section, such as
//! `rfc9211_cache_status_hit`, names the whole RFC.
//!
//! The W3C Edge Architecture note (`Surrogate-Control`), which has no RFC number, is named
//! by the prefix `edge_arch_` (`edge_arch_s3_targeted_max_age`).
//!
//! When the matching segment has no `rfc<digits>_` prefix, the RFC is taken
//! from the nearest enclosing module that has one (so `rfc5861::s3_foo` is
//! RFC 5861 §3), and is RFC 9111 otherwise.

use std::fmt;

/// RFC assumed when no segment of a test's path carries an `rfc<digits>` prefix.
pub(crate) const DEFAULT_RFC: u32 = 9111;

/// Stands for the W3C Edge Architecture Specification 1.0 (no RFC number).
pub(crate) const EDGE_ARCH: u32 = u32::MAX;

/// An RFC, optionally narrowed to a numbered section.
///
/// Orders by RFC number, then numerically by section (`§4.2` < `§4.2.1` < `§4.10`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Section {
    /// The RFC's number.
    pub(crate) rfc: u32,
    /// Section numbers, outermost first; empty when only the RFC is named.
    pub(crate) parts: Vec<u32>,
}

impl fmt::Display for Section {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.rfc == EDGE_ARCH {
            f.write_str("W3C Edge Arch")?;
        } else {
            write!(f, "RFC {}", self.rfc)?;
        }
        for (i, part) in self.parts.iter().enumerate() {
            let sep = if i == 0 { " §" } else { "." };
            write!(f, "{sep}{part}")?;
        }
        Ok(())
    }
}

/// The group a test is reported under.
///
/// Sections come first, in [`Section`] order; unsectioned tests last.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Group {
    /// The test names an RFC (and usually a section of it).
    Section(Section),
    /// No segment of the test's path follows the naming convention.
    Unsectioned,
}

impl fmt::Display for Group {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Section(section) => section.fmt(f),
            Self::Unsectioned => f.write_str("(unsectioned)"),
        }
    }
}

/// The group of the test at `test_path` (for example `freshness::s4_2_1_max_age_wins`).
pub(crate) fn group_of(test_path: &str) -> Group {
    section_of(test_path).map_or(Group::Unsectioned, Group::Section)
}

/// The section named by `test_path`, if any; see the [module docs](self).
pub(crate) fn section_of(test_path: &str) -> Option<Section> {
    let segments: Vec<&str> = test_path.split("::").collect();
    let (index, found) = segments
        .iter()
        .enumerate()
        .rev()
        .find_map(|(i, segment)| parse_segment(segment).map(|found| (i, found)))?;
    let rfc = match found.rfc {
        Some(rfc) => rfc,
        // A bare `s<n>` segment: inherit the RFC of an enclosing `rfc<n>…` module.
        None => segments[..index]
            .iter()
            .rev()
            .find_map(|segment| parse_segment(segment).and_then(|outer| outer.rfc))
            .unwrap_or(DEFAULT_RFC),
    };
    Some(Section {
        rfc,
        parts: found.parts,
    })
}

/// What one path segment says about the section.
#[derive(Debug, PartialEq, Eq)]
struct Segment {
    /// The RFC from an explicit `rfc<digits>` prefix.
    rfc: Option<u32>,
    /// Section numbers; empty for a segment such as `rfc9211_cache_status_hit`.
    parts: Vec<u32>,
}

/// Parses one `::`-separated segment, or returns `None` if it names no section.
fn parse_segment(segment: &str) -> Option<Segment> {
    if let Some(rest) = segment.strip_prefix("edge_arch_") {
        return parse_section(rest).map(|parts| Segment {
            rfc: Some(EDGE_ARCH),
            parts,
        });
    }
    let mut rest = segment;
    let mut rfc = None;
    if let Some(after) = segment.strip_prefix("rfc") {
        let (digits, tail) = split_digits(after);
        if digits.is_empty() {
            return None;
        }
        rfc = Some(digits.parse().ok()?);
        if tail.is_empty() {
            rest = tail;
        } else {
            rest = tail.strip_prefix('_')?;
        }
    }
    match parse_section(rest) {
        Some(parts) => Some(Segment { rfc, parts }),
        // `rfc9211_cache_status_hit`: the RFC alone.
        None => rfc.map(|rfc| Segment {
            rfc: Some(rfc),
            parts: Vec::new(),
        }),
    }
}

/// Parses `s<digits>(_<digits>)*` at the start of `text`, which must then end
/// or continue with `_` followed by a non-digit. Section components have at most two
/// digits: a longer number (`s3_2_304_...`, a status code) starts the descriptive part.
fn parse_section(text: &str) -> Option<Vec<u32>> {
    let (digits, mut tail) = split_digits(text.strip_prefix('s')?);
    if digits.is_empty() {
        return None;
    }
    let mut parts = vec![digits.parse().ok()?];
    while let Some(after) = tail.strip_prefix('_') {
        let (digits, rest) = split_digits(after);
        if digits.is_empty() || digits.len() > 2 {
            // `_` + non-digit (or a status code): the descriptive part starts here.
            break;
        }
        parts.push(digits.parse().ok()?);
        tail = rest;
    }
    (tail.is_empty() || tail.starts_with('_')).then_some(parts)
}

/// Splits `text` into its leading ASCII digits and the rest.
fn split_digits(text: &str) -> (&str, &str) {
    let end = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    text.split_at(end)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The display name of the group of `path`.
    fn name(path: &str) -> String {
        group_of(path).to_string()
    }

    #[test]
    fn edge_architecture_note() {
        assert_eq!(
            name("surrogate::edge_arch_s3_targeted_max_age"),
            "W3C Edge Arch §3"
        );
    }

    #[test]
    fn status_codes_are_not_section_numbers() {
        assert_eq!(name("s3_2_304_field_replaces"), "RFC 9111 §3.2");
        assert_eq!(name("s3_302_with_max_age_stored"), "RFC 9111 §3");
    }

    #[test]
    fn leaf_section_defaults_to_rfc9111() {
        assert_eq!(name("s4_2_3_corrected_initial_age"), "RFC 9111 §4.2.3");
    }

    #[test]
    fn leaf_inside_module() {
        assert_eq!(name("freshness::s4_2_1_max_age_wins"), "RFC 9111 §4.2.1");
    }

    #[test]
    fn explicit_rfc_prefix() {
        assert_eq!(name("rfc5861_s3_swr_serves_stale"), "RFC 5861 §3");
        assert_eq!(name("rfc9110_s5_6_7_rfc850_date"), "RFC 9110 §5.6.7");
        assert_eq!(name("rfc8246_s2_immutable_fresh"), "RFC 8246 §2");
    }

    #[test]
    fn trailing_digits_belong_to_the_name() {
        assert_eq!(
            name("s5_2_2_1_max_age_99999999999999999999"),
            "RFC 9111 §5.2.2.1"
        );
    }

    #[test]
    fn rfc_without_section() {
        assert_eq!(name("rfc9211_cache_status_hit"), "RFC 9211");
        assert_eq!(name("status::rfc9211"), "RFC 9211");
        // `s` followed by a non-digit is part of the name, not a section.
        assert_eq!(name("rfc9211_some_header"), "RFC 9211");
    }

    #[test]
    fn module_segments_from_innermost_outward() {
        assert_eq!(name("s4::s4_2::max_age_wins"), "RFC 9111 §4.2");
        assert_eq!(name("s4::s4_2::s4_2_1_leaf"), "RFC 9111 §4.2.1");
        assert_eq!(name("rfc5861_s4::stale_if_error"), "RFC 5861 §4");
    }

    #[test]
    fn bare_section_inherits_enclosing_rfc() {
        assert_eq!(name("rfc5861::s3_swr_serves_stale"), "RFC 5861 §3");
        assert_eq!(name("rfc5861_s3::s3_1_detail"), "RFC 5861 §3.1");
        // An explicit prefix on the leaf wins over the module.
        assert_eq!(name("rfc5861::rfc9111_s4_leaf"), "RFC 9111 §4");
    }

    #[test]
    fn unsectioned() {
        for path in [
            "smoke",
            "tests::sync_round_trip",
            "s1x_not_a_section",
            "s4_2x_not_a_section",
            "rfc_without_number",
            "rfc9111x",
            "helpers::s_",
            "",
        ] {
            assert_eq!(group_of(path), Group::Unsectioned, "{path:?}");
        }
        assert_eq!(name("smoke"), "(unsectioned)");
    }

    #[test]
    fn exact_segment_shapes() {
        assert_eq!(name("s3"), "RFC 9111 §3");
        assert_eq!(name("s3_"), "RFC 9111 §3");
        assert_eq!(name("rfc5861_s3"), "RFC 5861 §3");
        assert_eq!(name("s4_10_big"), "RFC 9111 §4.10");
    }

    #[test]
    fn groups_sort_by_rfc_then_numerically() {
        let mut groups: Vec<Group> = [
            "unsectioned_thing",
            "s4_10_x",
            "rfc9211_hit",
            "s4_2_1_x",
            "rfc5861_s3_x",
            "s4_2_x",
            "rfc9110_s5_6_7_x",
            "s5_x",
            "rfc8246_s2_x",
            "s4_9_x",
        ]
        .iter()
        .map(|path| group_of(path))
        .collect();
        groups.sort();
        let names: Vec<String> = groups.iter().map(ToString::to_string).collect();
        assert_eq!(
            names,
            [
                "RFC 5861 §3",
                "RFC 8246 §2",
                "RFC 9110 §5.6.7",
                "RFC 9111 §4.2",
                "RFC 9111 §4.2.1",
                "RFC 9111 §4.9",
                "RFC 9111 §4.10",
                "RFC 9111 §5",
                "RFC 9211",
                "(unsectioned)",
            ]
        );
    }
}
